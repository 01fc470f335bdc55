"""Free-text Markdown (report sections, the notebook's own Markdown cells) as a small JSON tree that
the PDF template and the Word export map to their own structure.

mistune's AST (no plugins, as the HTML uses) is simplified here, once for every format. Nothing of
it is ever markup of the target format: raw HTML and code spans become literal text (the HTML
escapes them too), images their alternative text, links keep a URL only for web addresses.
"""

from __future__ import annotations

import functools
import re

import mistune

from ..core.vnformat import nfc

__all__ = ["markdown_tree"]

_INLINE_TEXT = {"text", "codespan", "inline_html", "block_html"}
_WEB_URL = re.compile(r"(?i)^https?://")


@functools.lru_cache(maxsize=1)
def _parser():
    return mistune.create_markdown(renderer=None)


def _inline(nodes) -> list[dict]:
    merged: list[dict] = []
    for n in _inline_nodes(nodes):  # adjacent text nodes as one ("<b>", "h", "</b>" -> "<b>h</b>")
        if n["type"] == "text" and merged and merged[-1]["type"] == "text":
            merged[-1] = {"type": "text", "text": merged[-1]["text"] + n["text"]}
        else:
            merged.append(n)
    return merged


def _inline_nodes(nodes) -> list[dict]:
    out: list[dict] = []
    for n in nodes or []:
        t = n.get("type")
        if t in _INLINE_TEXT:
            if n.get("raw"):
                out.append({"type": "text", "text": n["raw"]})
        elif t in ("strong", "emphasis"):
            out.append({"type": t, "children": _inline(n.get("children"))})
        elif t in ("softbreak", "linebreak"):
            out.append({"type": t})
        elif t == "link":
            url = str((n.get("attrs") or {}).get("url", ""))
            node = {"type": "link", "children": _inline(n.get("children"))}
            if _WEB_URL.match(url):
                node["url"] = url  # only web links become links
            out.append(node)
        elif n.get("children"):  # image (its alternative text), strikethrough, ...: the text inside
            out.extend(_inline(n["children"]))
        elif n.get("raw"):
            out.append({"type": "text", "text": n["raw"]})
    return out


def _text_paragraph(text: str) -> dict:
    return {"type": "paragraph", "children": [{"type": "text", "text": text}]}


def _blocks(nodes) -> list[dict]:
    out: list[dict] = []
    for n in nodes or []:
        t = n.get("type")
        if t in ("paragraph", "block_text"):
            out.append({"type": "paragraph", "children": _inline(n.get("children"))})
        elif t == "heading":
            level = int((n.get("attrs") or {}).get("level", 1))
            out.append({"type": "heading", "level": level, "children": _inline(n.get("children"))})
        elif t == "list":
            attrs = n.get("attrs") or {}
            start = attrs.get("start", 1)
            out.append({
                "type": "list",
                "ordered": bool(attrs.get("ordered")),
                "start": int(start if start is not None else 1),
                "children": [{"type": "list_item", "children": _blocks(item.get("children"))}
                             for item in n.get("children", []) if item.get("type") == "list_item"],
            })
        elif t == "block_quote":
            out.append({"type": "block_quote", "children": _blocks(n.get("children"))})
        elif t == "block_code":
            out.append({"type": "block_code", "text": str(n.get("raw", "")).rstrip("\n")})
        elif t == "thematic_break":
            out.append({"type": "thematic_break"})
        elif t == "blank_line":
            continue
        elif n.get("children"):
            out.extend(_blocks(n["children"]))
        elif str(n.get("raw", "")).strip():  # block_html and the like: literal text
            out.append(_text_paragraph(n["raw"].strip()))
    return out


def markdown_tree(md: str) -> list[dict]:
    """Markdown as a JSON tree (every string NFC).

    Block nodes: ``paragraph``, ``heading`` (``level``), ``list`` (``ordered``, ``start``; its
    children ``list_item``, each holding block nodes), ``block_quote``, ``block_code`` (``text``),
    ``thematic_break``. Inline nodes (``children`` of paragraphs and headings): ``text``
    (``text``), ``strong``, ``emphasis``, ``link`` (``url`` for web links only), ``softbreak``,
    ``linebreak``.
    """
    return _blocks(_parser()(nfc(md)))
