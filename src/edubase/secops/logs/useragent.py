"""User-agent class: scanner | tool | bot | mobile | browser | unknown (``user_agent.class``).

A few token lists, checked in that order (a scanner that claims to be Mozilla is still a scanner,
Googlebot's smartphone agent is still a bot). One compiled regex per class, results cached: web
traffic repeats a small number of agents.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

__all__ = ["CLASSES", "classify"]

CLASSES: Final = ("scanner", "tool", "bot", "mobile", "browser", "unknown")

#: vulnerability scanners and brute-force / discovery tools (attack tooling)
_SCANNER: Final = re.compile(
    r"sqlmap|nikto|nmap|masscan|zgrab|nuclei|acunetix|awvs|wpscan|dirbuster|gobuster|\bdirb\b|ffuf|"
    r"fuzz faster u fool|wfuzz|hydra|zmeu|netsparker|invicti|appscan|openvas|\bw3af|nessus|qualys|"
    r"jaeles|xray|goby|morfeus|struts-pwn|jorgee|havij|pangolin|webinspect|burp|arachni|skipfish|"
    r"whatweb|fimap|commix|xsstrike|dotdotpwn|l9explore|l9tcpid|censysinspect|expanse|internet-measurement|"
    r"paros|w00tw00t|zmap|hello, world|wvs|sysscan|"
    r"scan(?:ner|ning)\b",
)
#: scripting HTTP clients and command-line tools (automation, not necessarily hostile)
_TOOL: Final = re.compile(
    r"^(?:curl|wget|python-requests|python-urllib|python-httpx|aiohttp|go-http-client|java/|okhttp|"
    r"libwww-perl|lwp::simple|apache-httpclient|axios|node-fetch|undici|got |powershell|httpie|"
    r"ruby|php/|guzzlehttp|restsharp|postmanruntime|insomnia|scrapy|winhttp|wininet|"
    r"microsoft-cryptoapi|urlgrabber|fetch|http_request|reqwest|dart:io)|"
    r"\b(?:curl|wget|python-requests|python-urllib|go-http-client|powershell|postmanruntime)/",
)
#: search engines, crawlers and link previewers
_BOT: Final = re.compile(
    r"baiduspider|googlebot|bingbot|yisouspider|sogou[ a-z]*spider|360spider|haosouspider|bytespider|yandex|"
    r"duckduckbot|slurp|applebot|petalbot|semrush|ahrefs|mj12bot|dotbot|facebookexternalhit|"
    r"twitterbot|linkedinbot|sosospider|yodaobot|youdaobot|exabot|ia_archiver|archive\.org_bot|"
    r"gptbot|claudebot|ccbot|amazonbot|uptimerobot|pingdom|"
    r"spider|crawl|(?<!cu)bot\b|bot[/;_-]",
)
_MOBILE: Final = re.compile(
    r"mobile|android|iphone|ipad|ipod|harmonyos|openharmony|windows phone|micromessenger|"
    r"mqqbrowser|ucbrowser|miuibrowser|huaweibrowser|blackberry|opera mini",
)
_BROWSER: Final = re.compile(r"mozilla/|opera/|chrome/|safari/|firefox/|edg/|msie |trident/")


@lru_cache(maxsize=16384)
def classify(user_agent: str | None) -> str:
    """The class of a User-Agent header value (``unknown`` when empty or unrecognised)."""
    if not user_agent or user_agent == "-":
        return "unknown"
    text = user_agent.strip().lower()
    if not text:
        return "unknown"
    if _SCANNER.search(text):
        return "scanner"
    if _BOT.search(text):
        return "bot"
    if _TOOL.search(text):
        return "tool"
    if _MOBILE.search(text):
        return "mobile"
    if _BROWSER.search(text):
        return "browser"
    return "unknown"
