# scorebot: one bot process serving Telegram's webhook (see README "Deployment").
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Fonts for the Chinese and Hindi labels of KPI charts and invite posters (the same packages
# as the Makefile's `fonts`; 1.7 MB instead of the 69 MB of fonts-noto-cjk and fonts-noto-core).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fontconfig fonts-wqy-microhei fonts-lohit-deva \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
RUN pip install . \
    && useradd --system --home-dir /app --shell /usr/sbin/nologin scorebot

USER scorebot
EXPOSE 8080
# Migrates the database on start (several processes starting at once take turns).
CMD ["scorebot", "run", "--webhook"]

# The tests, with the dashboard's headless browser (docker build --target test .): Debian's
# chromium and chromium-driver, driven by Selenium; no browser is downloaded.
FROM app AS test
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium chromium-driver \
    && rm -rf /var/lib/apt/lists/*
COPY tests ./tests
COPY tools ./tools
RUN pip install ".[test]"
CMD ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]

# The default image: the bot (as `app` above).
FROM app
