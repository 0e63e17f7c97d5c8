# Two commands for a fresh machine (see README):
#   make start   install, then serve Telegram (BOT_TOKEN set) or open the offline demo
#   make test    install, then the linter, the type checker and the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

FONT_PACKAGES := fonts-wqy-microhei fonts-lohit-deva
# The dashboard's browser tests drive Debian's Chromium with Selenium (no browser download).
BROWSER_PACKAGES := chromium chromium-driver

.PHONY: start test fonts browser bench bench-quick lint i18n clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Chinese and Hindi chart labels need fonts with those scripts (see README "Setup"):
# installed with apt-get when missing and we may (root on Debian/Ubuntu), else one line says what.
fonts:
	@if command -v fc-list >/dev/null && fc-list :lang=zh-cn family | grep -q . \
		&& fc-list :lang=hi family | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing fonts for Chinese and Hindi charts: $(FONT_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $(FONT_PACKAGES) >/dev/null; \
	else \
		echo "Chinese and Hindi charts need fonts: sudo apt-get install $(FONT_PACKAGES) (or any CJK and Devanagari font, see README)"; \
	fi

# A headless Chromium for the dashboard's tests (tests/test_dashboard_browser.py), installed
# like the fonts: with apt-get when missing and we may, else one line says what to install.
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing a headless browser for the dashboard tests: $(BROWSER_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $(BROWSER_PACKAGES) >/dev/null; \
	else \
		echo "the dashboard's browser tests need: sudo apt-get install $(BROWSER_PACKAGES) (skipped without)"; \
	fi

start: $(STAMP) fonts
	$(VENV)/bin/scorebot start

test: $(STAMP) fonts browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

# Benchmarks (not part of the tests): four tables with targets; see README "Performance".
# PostgreSQL and Redis too when BENCH_DATABASE_URL (emptied!) and BENCH_REDIS_URL are set.
bench: $(STAMP)
	$(PY) -m bench

bench-quick: $(STAMP)
	$(PY) -m bench --quick

# Developers: after changing user-facing text, refresh the template and every catalog,
# then translate the new entries (tests fail while any is missing).
i18n: $(STAMP)
	$(VENV)/bin/pybabel extract --no-location --sort-output --project=scorebot \
		-k _:1,1t -k _:1,2 -k __ -o bot/locales/messages.pot bot/
	$(VENV)/bin/pybabel update --no-fuzzy-matching --ignore-obsolete -i bot/locales/messages.pot \
		-d bot/locales -D messages

clean:
	rm -rf $(VENV) *.egg-info
