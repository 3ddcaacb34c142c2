"""Source noise out of post text: :func:`text_for_topics` is what topic extraction reads, :func:`text_for_display`
what people read in a snippet.

The rules follow formats, not any one site: Markdown and chat markup (Slack, Zulip), LaTeX, e-mail quoting and
signatures, upload and channel notices; the only word lists are a short one of English greetings and thanks
(:data:`_LEAD`) and the e-mail sign-offs of :func:`strip_quoted`. Both functions run on every post at ingest, so each
rule is guarded by a substring test and the regular expressions are compiled once.
"""

from __future__ import annotations

import re

__all__ = ["strip_quoted", "text_for_display", "text_for_topics"]


# --- quoted replies, forwarded mail and signatures ------------------------------------------------------------------

_ORIGINAL = re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE)
_FORWARDED = re.compile(
    r"^\s*(?:-{2,}.*\bForwarded by\b|-{2,}\s*Forwarded (?:message|mail)\s*-{2,}|Begin forwarded message:)",
    re.IGNORECASE,
)
# "said:" is how Zulip (and some mail clients) attribute a quote; it only ever cuts when ">" lines follow.
_WROTE = re.compile(r"\b(?:wrote|said):\s*$", re.IGNORECASE)
_ON_LINE = re.compile(r"^\s*On\s.+[,\d]", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*\*?From:\*?\s*\S", re.IGNORECASE)
_HEADER_SENT = re.compile(r"^\s*\*?(?:Sent|Date):\*?\s*\S", re.IGNORECASE)
_HEADER_TO = re.compile(r"^\s*\*?(?:To|Subject|cc):\*?", re.IGNORECASE)
_NOTES_DATE = r"\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:AM|PM)?"
_NOTES_DATE_LINE = re.compile(rf"^\s*{_NOTES_DATE}\s*$", re.IGNORECASE)
_NOTES_ON_LINE = re.compile(rf"^\s*\S.*\son\s+{_NOTES_DATE}\s*$", re.IGNORECASE)
_SIG_DASHES = re.compile(r"^--\s?$")
_SENT_FROM = re.compile(r"^\s*Sent from my\b", re.IGNORECASE)
_SIGN_OFF = re.compile(
    r"^\s*(?:thanks|thank you|many thanks|thanks again|regards|best regards|kind regards|warm regards|best wishes"
    r"|best|cheers|sincerely|yours|yours truly|all the best|thx|ta)\s*[,.!]*\s*$",
    re.IGNORECASE,
)
_SIGN_OFF_TAIL = 4
"""At most this many short lines (name, title, phone) may follow a sign-off for it to count as the signature."""
_QUOTE_MARKERS = (">", "wrote:", "said:", "--", "From:", "To:", "Sent from", "orward", "Original Message")
"""Substrings without which :func:`strip_quoted` cannot change a text (checked before splitting it into lines)."""


def strip_quoted(text: str, *, sign_off: bool = True) -> str:
    """What the sender wrote: quoted (``>``) lines, reply and forward blocks, and the signature removed.

    Cuts at the first ``-----Original Message-----``, forward banner, Outlook or Lotus Notes header block, or
    ``On … wrote:`` not followed by ``>`` lines; then drops remaining ``>`` lines, the ``-- `` signature and "Sent
    from my …" lines. With ``sign_off`` (e-mail), a trailing sign-off ("Thanks,", "Regards," …) goes too, with the
    few short lines under it; chat messages are too short for that guess to be safe.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = _cut_at_quoted_block(lines)
    lines = [line for line in lines if not line.lstrip().startswith(">") and not _SENT_FROM.match(line)]
    lines = _cut_signature(lines, sign_off=sign_off)
    kept = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", kept).strip()


def _cut_at_quoted_block(lines: list[str]) -> list[str]:
    kept: list[str] = []
    while True:
        cut, resume = _first_block(lines)
        kept.extend(lines[:cut])
        if resume is None:
            return kept
        lines = lines[resume:]


def _first_block(lines: list[str]) -> tuple[int, int | None]:
    """Where the first quoted block starts, and where to go on reading (``None``: the rest is quoted)."""
    for index, line in enumerate(lines):
        if not _may_open_block(line):
            continue
        if _ORIGINAL.match(line) or _FORWARDED.match(line) or _starts_header_block(lines, index):
            return index, None
        if _NOTES_DATE_LINE.match(line) and _followed_by(lines, index, _HEADER_TO, within=2):
            # Lotus Notes puts the sender's name on the line above the date.
            return (index - 1 if index > 0 and lines[index - 1].strip() else index), None
        if _NOTES_ON_LINE.match(line) and _followed_by(lines, index, _HEADER_TO, within=2):
            return index, None
        if _WROTE.search(line):
            # "On <date>, <name>\nwrote:" spans two lines in many clients; drop the first half too.
            split = index > 0 and not _ON_LINE.match(line) and _ON_LINE.match(lines[index - 1])
            start = index - 1 if split else index
            if _next_content_is_quoted(lines, index):
                # Interleaved replies keep their own lines; only the attribution and the ">" lines go.
                return start, index + 1
            # Without ">" lines only a real attribution cuts: "what the customer wrote:" introduces the writer's own
            # paraphrase, "On <date>, <name> wrote:" or "<address> wrote:" introduces a copy of older mail.
            if split or _ON_LINE.match(line) or "@" in line or "<" in line:
                return start, None
    return len(lines), None


def _may_open_block(line: str) -> bool:
    """A cheap filter so the patterns below run on a few lines, not on every line of long messages."""
    head = line.lstrip()[:6].lower()
    lowered = line.lower()
    return (
        head.startswith(("-", "begin", "from:", "*from")) or head[:1].isdigit() or "wrote" in lowered
        or "said:" in lowered or " on " in lowered
    )  # fmt: skip


def _starts_header_block(lines: list[str], index: int) -> bool:
    """An Outlook-style "From: / Sent: / To: / Subject:" block opening a quoted message."""
    if not _HEADER_FROM.match(lines[index]):
        return False
    window = lines[index + 1 : index + 5]
    return any(_HEADER_SENT.match(w) for w in window) and any(_HEADER_TO.match(w) for w in window)


def _followed_by(lines: list[str], index: int, pattern: re.Pattern[str], *, within: int) -> bool:
    return any(pattern.match(line) for line in lines[index + 1 : index + 1 + within])


def _next_content_is_quoted(lines: list[str], index: int) -> bool:
    for line in lines[index + 1 :]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _cut_signature(lines: list[str], *, sign_off: bool) -> list[str]:
    for index in range(len(lines) - 1, -1, -1):
        if _SIG_DASHES.match(lines[index]):
            lines = lines[:index]
            break
    if not sign_off:
        return lines
    content = [i for i, line in enumerate(lines) if line.strip()][-(_SIGN_OFF_TAIL + 1) :]
    for position, index in enumerate(content):
        if _SIGN_OFF.match(lines[index]) and all(len(lines[i].strip()) <= 40 for i in content[position + 1 :]):
            return lines[:index]
    return lines


# --- markup: code, LaTeX, links, mentions, emoji ---------------------------------------------------------------------
# Every pattern that runs on whole texts starts with a literal character ("@", ".", ":", "<", "/") or a small set of
# them: the regular expression engine then jumps from one occurrence to the next instead of trying every position,
# which keeps long e-mails cheap. What comes before such a literal (a mailbox, a host or file name) is taken by
# _cut_back instead.

_BACKTICK_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
"""Fenced code (Markdown, Slack, Zulip's ```quote and ```math too); an unclosed fence runs to the end."""
_TILDE_FENCE = re.compile(r"^[ \t]*~~~.*?(?:^[ \t]*~~~[^\n]*$|\Z)", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"(`{1,2})(?!`)[^\n]+?(?<!`)\1(?!`)")
_LATEX_BLOCK = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|\\begin\{([^{}\n]+)\}.*?(?:\\end\{\1\}|\Z)", re.DOTALL)
# Pandoc's rule tells maths from money: the opening "$" has no space after it, the closing one no space before it
# and no digit after it, so "$5 and $10" is left alone. The closing "$" can only be the next one, so the span is
# taken possessively (no backtracking) and bounded: dollar amounts in long e-mails stay cheap.
_LATEX_INLINE = re.compile(r"(?<![\\$])\$(?=[^\s$])(?:\\.|[^$\\]){1,300}+(?<=[^\s\\])\$(?!\d)", re.DOTALL)
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+\*?")
_SLACK_TOKEN = re.compile(r"<([@#!][^<>\s|]*|(?:https?|ftp|mailto):[^<>\s|]*)(?:\|([^<>\n]*))?>")
"""Slack's ``<@U1|name>``, ``<#C1|channel>``, ``<!here>``, ``<url|label>`` and ``<mailto:…>`` tokens."""
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\s]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\s]*\)")
_URL = re.compile(r"://[^\s<>\"'`]*")
"""A URL from its "://" on; the scheme before it (https, ftp, s3, git+ssh…) is taken by :func:`_cut_back`."""
_WWW = re.compile(r"www\.[^\s<>\"'`]*")
_HOST_PATH = re.compile(r"\.[A-Za-z]{2,}(?::\d+)?/[^\s<>\"'`]*")
"""The end of a host name and its path, written without a scheme (``bl.ocks.org/user/1``); the host goes too."""
_PATH = re.compile(r"/(?<![\w/.]/)[\w.+-]+(?:/[\w.+@-]*)+")
"""Absolute and home-relative file paths with at least two parts (``/glade/scratch/x``); "and/or" is not one."""
_MENTION = re.compile(
    r"@(?:_?\*\*[^*\n]+\*\*"  # Zulip @**Full Name**, @**Name|12**, silent @_**Name**
    r"|\*[^*\n]+\*"  # Zulip user group @*group*
    r"|[\"“][^\"”\n]{1,80}[\"”]"  # @"Full Name"
    r"|(?<![\w@]@)[A-Za-z0-9_][\w.\-]*)"  # @handle, as extractors.mentions reads it; "ann@x.org" is not one
)
_MAIL_DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
_EMOJI = re.compile(r":(?<![0-9]:)[a-z0-9_+'-]+:")
"""``:simple_smile:``, ``:+1::skin-tone-2:``; a colon right after a digit is a clock or a ratio ("10:30:00")."""
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_MAILBOX_CHARS = frozenset(_ALNUM + "._%+-")
_NAME_CHARS = frozenset(_ALNUM + "._-")
_SCHEME_CHARS = frozenset(_ALNUM + "+.-")

# --- boilerplate: uploads, screenshots, channel notices, pleasantries ------------------------------------------------

_MARKED_COLON = re.compile(
    r":(?:(?<=wrote:)|(?<=said:)|(?<=From:)|(?<=To:)|(?<=cc:)|(?<=Sent:)|(?<=Date:)|(?<=Subject:)|(?<=message:)"
    r"|(?<=file:)|(?<=image:)|(?<=snippet:)|(?<=photo:))"
)
"""A colon that may end a reply attribution, a mail header or an upload notice."""
_UPLOAD_COLON = re.compile(r":(?:(?<=file:)|(?<=image:)|(?<=snippet:)|(?<=photo:))")
_UPLOAD = re.compile(
    r"\b(?:uploaded|shared|posted|added) (?:a|an|this) (?:file|image|photo|snippet):[^\n]*?(?: and commented:|$)",
    re.IGNORECASE | re.MULTILINE,
)
"""Slack's "uploaded a file: <file name> and commented:" (the file's name is the uploader's label, not prose)."""
_IMAGE_EXT = r"(?:png|jpe?g|gif|bmp|webp|heic|tiff?|svg)\b"
_IMAGE_DOT = re.compile(rf"\.{_IMAGE_EXT}", re.IGNORECASE)
_DOT_MARK = re.compile(
    r"\.(?:(?<=www\.)|(?:png|PNG|jpe?g|JPE?G|gif|GIF|bmp|webp|heic|HEIC|tiff?|svg)\b|[A-Za-z]{2,}(?::\d+)?/)"
)
"""The dot of an image file name, of ``www.`` or of a host name followed by a path: one cheap scan for all three.
Case-sensitive on purpose (the usual spellings), because matching regardless of case is the slow kind."""
_SCREENSHOT = re.compile(
    rf"[Ss][Cc][Rr][Ee][Ee][Nn][ _-]?[Ss][Hh][Oo][Tt][Ss]?\b(?:[ \w:.,-]{{0,40}}?\.(?i:{_IMAGE_EXT}))?"
)
""""Screen Shot 2015-06-09 at 09.36.49.png", "Screenshot-from-2021-08-31.png", or the word on its own (letter
classes rather than IGNORECASE, so that the search still jumps between the letters s and S)."""
_CHANNEL_NOTICE = re.compile(
    r"^[^\n]*\b(?:has (?:joined|left) the channel|set the channel (?:purpose|topic|description)"
    r"|(?:renamed|archived|unarchived) the channel|pinned a message to this channel)\b[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
"""Lines Slack writes on a person's behalf; bots' own messages are skipped by the importers, by sender."""
_NOTICE_CHARS = 80
"""Channel notices are short messages: "channel" is looked for this near the start or the end."""
_LEAD = (
    r"(?:h(?:i|ello|ey|iya)|g(?:reetings|ood (?:morning|afternoon|evening|day|luck)|lad to (?:be|have))|dear"
    r"|welcome|t(?:hanks|hank (?:you|u)|hx|y)|many thanks|c(?:heers|ongrats|ongratulations)|kudos"
    r"|(?:good|great|nice) to (?:see|meet|have) you|you'?re welcome)\b"
)
"""How a greeting or thanks opens, in English; short on purpose, and only ever applied to short sentences.

Lower case and grouped by first letter: against lower-cased text the engine rejects most sentence openings ("the",
"we") on their first letter, where matching regardless of case would compare letter by letter."""
_LEAD_AT_START = re.compile(rf"[\s,]*{_LEAD}", re.IGNORECASE)
_LEAD_AFTER_BREAK = re.compile(rf"[.!?\n][\s,]*{_LEAD}", re.IGNORECASE)
_LOWER_LEAD_AFTER_BREAK = re.compile(rf"[.!?\n][\s,]*{_LEAD}")
_LOWER_LEAD_AFTER_NEWLINE = re.compile(rf"\n[\s,]*{_LEAD}")
_LEAD_PREFIXES = (
    "hi", "hey", "hello", "greetings", "dear", "good morning", "good afternoon", "good evening", "good day",
    "good luck", "welcome", "thank", "many thanks", "thx", "ty", "cheers", "congrat", "kudos", "good to", "great to",
    "nice to", "glad to", "you're welcome", "youre welcome",
)  # fmt: skip
"""The openings of :data:`_LEAD` as plain prefixes, for a test far cheaper than the regular expression."""
_LEAD_INITIALS = frozenset("hgdwtmcknyHGDWTMCKNY")
_OPENING_CHARS, _CLOSING_CHARS = 16, 48
"""How far from the start a greeting and from the end a closing ("Good luck!", "Cheers!") are looked for.

Looking at every sentence of every post would cost more than all the other rules together: greetings open posts
and lines, closings end them with an exclamation mark or on a line of their own, and thanks, which turn up
anywhere, are found by a substring test of their own. Once a text is looked at, every sentence of it is."""
_SENTENCE_END = re.compile(r"[.!?]+|\n")
_CLAUSE_END = re.compile(r"[,;:!]|\s[-–—]+\s")
_WORD = re.compile(r"\w+")
_PLEASANTRY_EXTRA_WORDS = 4
"""Words a sentence may add to its greeting or thanks ("Thanks for the help, folks!") and still be only that."""


def text_for_topics(text: str) -> str:
    """The text with source noise replaced by spaces, for topic extraction; ordinary prose is kept as written.

    Removed: fenced and inline code; LaTeX (``$…$``, ``$$…$$``, ``\\[…\\]``, ``\\(…\\)``, ``\\begin{…}…\\end{…}``,
    stray ``\\commands``); quoted reply lines (``>``), ``On … wrote:`` / ``… said:`` attributions, forwarded and
    ``-----Original Message-----`` tails, ``-- `` signatures and "Sent from my …" lines; URLs (a Markdown link
    keeps its label), e-mail addresses and file paths; mentions in every form (``@handle``, ``@"Full Name"``,
    Zulip ``@**Full Name**``, Slack ``<@U123>``), because names are who, not what; emoji codes (``:tada:``);
    Slack's upload notices, screenshots and image file names; Slack's channel notices ("has joined the channel");
    and sentences that only greet or thank ("Hi all,", "Thanks!", "Good to see you here"). A text in which none of
    these can occur is returned as the very same object.
    """
    # Substring tests, cheapest first: this block is all that a plain text costs.
    colon = ":" in text
    marked = colon and _MARKED_COLON.search(text) is not None
    newline = "\n" in text
    # Signatures, banners and "Sent from my" sit on lines of their own.
    quoted = ">" in text or marked or (newline and ("--" in text or "Sent from" in text))
    code = "`" in text or ("~" in text and "~~~" in text)
    maths = "$" in text or "\\" in text
    dotted = _DOT_MARK.search(text) is not None
    images = dotted or "creen" in text
    notice = "hannel" in text[:_NOTICE_CHARS] or "hannel" in text[-_NOTICE_CHARS:]
    polite = (
        "hank" in text  # Thanks, thank you
        or (text[:1] in _LEAD_INITIALS and text[:_OPENING_CHARS].lower().startswith(_LEAD_PREFIXES))
        or (text.endswith("!") and _LOWER_LEAD_AFTER_BREAK.search(text[-_CLOSING_CHARS:].lower()) is not None)
        or (newline and _LOWER_LEAD_AFTER_NEWLINE.search(text.lower()) is not None)
    )
    link = dotted or "/" in text
    if not (colon or quoted or code or maths or images or notice or polite or link or "<" in text or "@" in text):
        return text
    original = text
    if code:
        text = _INLINE_CODE.sub(" ", _without_fences(text))
    if quoted:
        text = strip_quoted(text, sign_off=False)
    if maths:
        text = _LATEX_COMMAND.sub(" ", _LATEX_INLINE.sub(" ", _LATEX_BLOCK.sub(" ", text)))
    if "<" in text:
        text = _SLACK_TOKEN.sub(_slack_for_topics, text)
    if link:
        text = _without_links(text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
        if "@" in text:
            text = _cut_back(text, _MAIL_DOMAIN, _MAILBOX_CHARS)
    if colon:
        text = _EMOJI.sub(" ", text)
        if marked and _UPLOAD_COLON.search(text) is not None:
            text = _UPLOAD.sub(" ", text)
    if images:
        if "creen" in text or "CREEN" in text:
            text = _SCREENSHOT.sub(" ", text)
        text = _cut_back(text, _IMAGE_DOT, _NAME_CHARS)
    if notice and ("the channel" in text or "this channel" in text):
        text = _CHANNEL_NOTICE.sub(" ", text)
    if polite:
        text = _without_pleasantries(text)
    # Runs of spaces are left: the tokenizer skips them, and collapsing them would cost more than the rest.
    return text if text is original else text.strip()


def text_for_display(text: str) -> str:
    """The text as a person should read it in a snippet: mention markup shows the plain name (``@"Ana Lee"``,
    ``@**Ana Lee**`` and Slack's ``<@U1|Ana Lee>`` read ``Ana Lee``), Slack links show their label, emoji codes go
    and whitespace collapses to single spaces. Quoted lines (``> …``, someone else's words) go, and code keeps its
    text without its fences and backticks. Prose, ``@handle`` mentions and URLs are kept."""
    if ">" in text:
        text = _QUOTED_LINE.sub("", text)
    if "`" in text or "~~~" in text:
        text = _FENCE_MARK.sub(" ", text).replace("`", "")
    if "<" in text:
        text = _SLACK_TOKEN.sub(_slack_for_display, text)
    if "@" in text:
        text = _DISPLAY_MENTION.sub(_plain_name, text)
    if ":" in text:
        text = _EMOJI.sub(" ", text)
    return " ".join(text.split())


_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_FENCE_MARK = re.compile(r"^[ \t]*(?:```|~~~)[^\n]*$", re.MULTILINE)
_DISPLAY_MENTION = re.compile(r"@_?\*\*([^*|\n]+)(?:\|[^*\n]*)?\*\*|@\*([^*\n]+)\*|@[\"“]([^\"”\n]{1,80})[\"”]")


def _plain_name(match: re.Match[str]) -> str:
    return next(group for group in match.groups() if group is not None)


def _without_fences(text: str) -> str:
    if "```" in text:
        text = _BACKTICK_FENCE.sub("\n", text)
    return _TILDE_FENCE.sub("\n", text) if "~~~" in text else text


def _without_links(text: str) -> str:
    if "](" in text:
        text = _MD_LINK.sub(r"\1", _MD_IMAGE.sub(" ", text))
    if "://" in text:
        text = _cut_back(text, _URL, _SCHEME_CHARS)
    if "www." in text:
        text = _WWW.sub(" ", text)
    if "/" in text:
        text = _cut_back(_PATH.sub(" ", text), _HOST_PATH, _NAME_CHARS)
    return text


def _cut_back(text: str, pattern: re.Pattern[str], chars: frozenset[str]) -> str:
    """``text`` without the matches of ``pattern``, each with the run of ``chars`` right before it (the mailbox
    before "@example.org", the file name before ".png", the host before ".org/path")."""
    parts: list[str] = []
    done = 0
    for match in pattern.finditer(text):
        start = match.start()
        while start > done and text[start - 1] in chars:
            start -= 1
        parts += (text[done:start], " ")
        done = match.end()
    return "".join(parts) + text[done:] if parts else text


def _slack_for_topics(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    # A link's label is prose ("<https://d3js.org|D3 docs>"); people, channels and broadcasts are not topics.
    return f" {label} " if label and target[:1] not in "@#!" and not target.startswith("mailto:") else " "


def _slack_for_display(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return label or ""  # without a label there is only an id, which is nobody's name
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    return label or target


def _without_pleasantries(text: str) -> str:
    """The text without its sentences that only greet or thank, and without greeting clauses ("Hi all, …")."""
    lower = text.lower()
    # Matching regardless of case is the slow kind; lower() keeps positions except for a few letters ("İ").
    probe, pattern = (lower, _LOWER_LEAD_AFTER_BREAK) if len(lower) == len(text) else (text, _LEAD_AFTER_BREAK)
    parts: list[str] = []
    done = 0
    # Behind a leading "\n" the first sentence is found like the others, and a match's start in the probe is the
    # position in the text of the sentence's first character.
    for lead in pattern.finditer(f"\n{probe}"):
        start = lead.start()
        if start < done:
            continue
        end = _SENTENCE_END.search(text, lead.end() - 1)
        stop = len(text) if end is None else end.start() if end.group() == "\n" else end.end()
        parts += (text[done:start], _without_pleasantry(text[start:stop]))
        done = stop
    return "".join(parts) + text[done:] if parts else text


def _without_pleasantry(sentence: str) -> str:
    """The sentence, or what is left of it once greetings and thanks are taken off; blank when that is all it is."""
    while (lead := _LEAD_AT_START.match(sentence)) is not None:
        lead_words = len(_WORD.findall(lead.group()))
        if len(_WORD.findall(sentence)) - lead_words <= _PLEASANTRY_EXTRA_WORDS:
            return " "
        # "Hi all, has anyone…": the greeting is its own clause; take it off and look at the rest again.
        end = _CLAUSE_END.search(sentence, lead.end())
        if end is None or len(_WORD.findall(sentence[: end.start()])) - lead_words >= _PLEASANTRY_EXTRA_WORDS:
            return sentence
        sentence = " " + sentence[end.end() :]
    return sentence
