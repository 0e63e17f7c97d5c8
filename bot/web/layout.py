"""The frame of every dashboard page: one small inline style sheet and one small inline script,
so a page is one request with no CDN and no other file.

The script stands in for Telegram's telegram-web-app.js (about 90 KB, of which we need three
things): it applies the Telegram theme (`themeParams`, handed to the Mini App in the address's
`#tgWebAppThemeParams`, kept in sessionStorage for the following pages), tells Telegram the
page is ready, and shows Telegram's back button on inner pages, going back when it is pressed.
Outside Telegram it does nothing and the pages keep their own links.
"""

from __future__ import annotations

from html import escape

from bot.i18n import _

STYLE = """
:root{--bg:var(--tg-theme-bg-color,#fff);--fg:var(--tg-theme-text-color,#161616);
--hint:var(--tg-theme-hint-color,#686868);--link:var(--tg-theme-link-color,#1f6fb2);
--btn:var(--tg-theme-button-color,#1f6fb2);--btn-fg:var(--tg-theme-button-text-color,#fff);
--bg2:var(--tg-theme-secondary-bg-color,#f0f1f4)}
*{box-sizing:border-box}html{background:var(--bg)}
body{margin:0 auto;padding:10px 12px 24px;max-width:720px;font:16px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg);overflow-wrap:anywhere}
a{color:var(--link)}h1{font-size:1.3rem;margin:.4em 0}h2{font-size:1.1rem;margin:1.1em 0 .4em}
nav{display:flex;flex-wrap:wrap;gap:6px 16px;padding:4px 0 8px;border-bottom:1px solid var(--bg2)}
nav a{padding:6px 0}.card{background:var(--bg2);border-radius:10px;padding:10px 12px;margin:10px 0;
border-left:6px solid var(--hint)}.red{border-left-color:#d23b3b}.amber{border-left-color:#d99a00}
.green{border-left-color:#2c9b4d}.card p{margin:.3em 0}.hint{color:var(--hint);font-size:.92rem}
button,select{font:inherit;min-height:44px;padding:6px 12px;border-radius:8px;max-width:100%}
button{background:var(--btn);color:var(--btn-fg);border:0}select{background:var(--bg);
color:var(--fg);border:1px solid var(--hint)}
form{display:inline-flex;flex-wrap:wrap;gap:8px;margin:4px 8px 4px 0}
figure{margin:0 0 12px}h3{font-size:1rem;margin:.6em 0 .2em}
svg.chart{display:block;width:100%;height:auto;max-width:480px}svg text{font-size:11px;
fill:var(--hint)}.line{fill:none;stroke:var(--link);stroke-width:2.5}.dot{fill:var(--link)}
.axis{stroke:var(--hint)}.baseline{stroke:var(--hint);stroke-dasharray:6 4;stroke-width:1.5}
[class^=dot-]{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.4em;
background:#9a9a9a}.dot-red{background:#d23b3b}.dot-amber{background:#e0a400}
.dot-green{background:#2c9b4d}.target{stroke:#2c9b4d;stroke-dasharray:2 3;stroke-width:2}
.legend span{margin-right:14px}.wide{overflow-x:auto}ol{padding-left:1.4em}
.history{margin:.3em 0;padding-left:1.2em}th,td{overflow-wrap:normal}td.n{white-space:nowrap}
.card h2{margin-top:.2em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 6px;
border-bottom:1px solid var(--bg2);vertical-align:middle}.bar{height:12px;border-radius:3px;
background:var(--link);min-width:2px}.neg{background:#d23b3b}details{margin:6px 0}
"""

SCRIPT = """(function(){var S=sessionStorage,E=document.documentElement.style;
try{var t=JSON.parse(S.getItem('tgTheme')||'{}');for(var k in t)E.setProperty('--tg-theme-'+
k.replace(/_/g,'-'),t[k])}catch(x){}
function post(e,d){var b=JSON.stringify(d||{});try{if(window.TelegramWebviewProxy)
window.TelegramWebviewProxy.postEvent(e,b);else if(window.parent!==window)
window.parent.postMessage(JSON.stringify({eventType:e,eventData:d||{}}),'*')}catch(x){}}
function on(e,d){if(e==='back_button_pressed')history.back();if(e==='theme_changed'&&d&&
d.theme_params){S.setItem('tgTheme',JSON.stringify(d.theme_params));location.reload()}}
window.Telegram=window.Telegram||{};window.Telegram.WebView={receiveEvent:on};
addEventListener('message',function(m){try{var j=JSON.parse(m.data);on(j.eventType,j.eventData)}
catch(x){}});post('web_app_ready');post('web_app_setup_back_button',{is_visible:BACK})})();"""


def page(title: str, body: str, locale: str, *, back: bool = True,
         nav: list[tuple[str, str]] | None = None) -> str:
    """A whole page. `title` is plain text; `body` and the nav labels are HTML."""
    links = "".join(f'<a href="{escape(href)}">{label}</a>' for href, label in nav or [])
    script = SCRIPT.replace("BACK", "true" if back else "false")
    return (f'<!doctype html><html lang="{escape(locale.replace("_", "-"))}"><head>'
            '<meta charset="utf-8"><meta name="viewport" content="width=device-width,'
            'initial-scale=1"><meta name="referrer" content="no-referrer">'
            f"<title>{escape(title)}</title><style>{STYLE}</style><script>{script}</script>"
            f"</head><body>{f'<nav>{links}</nav>' if links else ''}{body}</body></html>")


# Emoji in the chat's texts that a phone's or computer's browser may lack a font for (the
# health colours are drawn by CSS for the same reason): on a page they become signs every
# text font has, or go where the words say it all.
PLAIN_MARKS = {"✅": "✓", "❔": "?", "⚠️": "⚠", "📞 ": "", "💤 ": "", "👤 ": "", "📅 ": ""}


def plain_marks(text: str) -> str:
    for mark, plain in PLAIN_MARKS.items():
        text = text.replace(mark, plain)
    return text


def telegram_html(text: str) -> str:
    """A presenter's message (Telegram's HTML: names already escaped, <b> and <i>) as HTML."""
    return plain_marks(text).replace("\n", "<br>")


def refused_page(locale: str) -> str:
    return page("SCORE", "<p>" + escape(_(
        "This page has expired or the link was already used. Send /dashboard in the chat to "
        "open it again.")) + "</p>", locale, back=False)


def not_allowed_page(locale: str) -> str:
    return page("SCORE", "<p>" + escape(_(
        "Sorry, your role does not allow that. Send /help to see what you can do.")) + "</p>"
        '<p><a href="/dashboard/">' + escape(_("« All enterprises")) + "</a></p>", locale)
