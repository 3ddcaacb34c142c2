/*
 * weaktie intranet widget: <weaktie-people-to-meet> and <weaktie-already-done>.
 *
 * One file, no build step, no dependencies. Each element renders into its own shadow root, builds every node with
 * createElement and fills it with textContent (data from the API is never parsed as HTML), and resets inherited
 * styles on an inner wrapper so the host page's CSS cannot reach the cards. See docs/widget.md.
 */
(() => {
  "use strict";

  // Where this script was loaded from: the default API base, so `<script src="https://weaktie…/widget.js">` is
  // all an intranet page needs besides a token. Read now: document.currentScript is only set while the script runs.
  const SCRIPT_ORIGIN = (() => {
    const script = document.currentScript;
    try {
      return script && script.src ? new URL(script.src).origin : window.location.origin;
    } catch (_) {
      return window.location.origin;
    }
  })();

  const STYLE = `
    :host { all: initial; display: block; }
    :host([hidden]) { display: none; }
    .wt {
      all: initial;
      display: block;
      box-sizing: border-box;
      font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
      font-size: 14px;
      line-height: 1.45;
      color: #1f2328;
      background: #ffffff;
      border: 1px solid #d0d7de;
      border-radius: 10px;
      padding: 14px 16px;
      text-align: left;
      direction: ltr;
    }
    .wt *, .wt *::before, .wt *::after { box-sizing: border-box; }
    .wt-title { display: block; margin: 0 0 2px; font-size: 16px; font-weight: 650; color: #1f2328; }
    .wt-lead { display: block; margin: 0 0 10px; color: #57606a; font-size: 13px; }
    .wt-muted { display: block; margin: 8px 0; color: #57606a; }
    .wt-error { display: block; margin: 8px 0; color: #a40e26; }
    .wt-status { display: block; min-height: 1.45em; margin: 8px 0 0; color: #1a7f37; font-size: 13px; }
    .wt-status.wt-bad { color: #a40e26; }
    .wt-list { display: grid; gap: 10px; list-style: none; margin: 0; padding: 0; }
    .wt-card {
      display: block; margin: 0; padding: 10px 12px; list-style: none;
      border: 1px solid #d8dee4; border-radius: 8px; background: #f6f8fa;
    }
    .wt-name { display: block; margin: 0; font-size: 15px; font-weight: 650; color: #1f2328; overflow-wrap: anywhere; }
    .wt-meta { display: block; margin: 0 0 6px; color: #57606a; font-size: 12.5px; overflow-wrap: anywhere; }
    .wt-reason {
      display: block; margin: 0 0 6px; color: #1f2328;
      white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
    }
    .wt-mutual { display: block; margin: 0 0 6px; color: #57606a; font-size: 13px; overflow-wrap: anywhere; }
    .wt-quote { display: block; margin: 0 0 8px; font-size: 13px; color: #3d444d; overflow-wrap: anywhere; }
    .wt-quote-date { color: #57606a; font-size: 12px; }
    .wt-chips { display: flex; flex-wrap: wrap; gap: 4px; list-style: none; margin: 0 0 8px; padding: 0; }
    .wt-chip {
      display: inline-block; margin: 0; padding: 1px 8px; list-style: none;
      border-radius: 999px; background: #ddf4ff; color: #0a3069; font-size: 12px;
    }
    .wt-actions { display: flex; flex-wrap: wrap; gap: 6px; }
    .wt-button {
      all: initial;
      display: inline-block;
      font: inherit; font-size: 13px; line-height: 1.3;
      color: #24292f; background: #ffffff;
      border: 1px solid #afb8c1; border-radius: 6px;
      padding: 4px 10px; cursor: pointer;
    }
    .wt-button:hover { background: #eef1f4; }
    .wt-button:focus-visible { outline: 2px solid #0969da; outline-offset: 2px; }
    .wt-button:disabled { cursor: default; opacity: 0.55; }
    .wt-primary { color: #ffffff; background: #1f6feb; border-color: #1f6feb; }
    .wt-primary:hover { background: #1a5fcc; }
    .wt-form { display: block; margin: 0; }
    .wt-label { display: block; margin: 0 0 4px; font-weight: 600; color: #1f2328; }
    .wt-textarea {
      all: initial;
      display: block; width: 100%; min-height: 84px; resize: vertical;
      font: inherit; color: #1f2328; background: #ffffff;
      border: 1px solid #afb8c1; border-radius: 6px; padding: 6px 8px; margin: 0 0 8px;
      white-space: pre-wrap; overflow-wrap: anywhere;
    }
    .wt-textarea:focus-visible { outline: 2px solid #0969da; outline-offset: 1px; }
    .wt-badge {
      display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 999px;
      background: #fff8c5; color: #7d4e00; font-size: 11.5px; font-weight: 500; vertical-align: middle;
    }
    .wt-evidence { display: block; list-style: none; margin: 4px 0 0; padding: 0; }
    .wt-item { display: block; margin: 0 0 6px; list-style: none; }
    .wt-item-title { display: block; font-weight: 600; color: #1f2328; overflow-wrap: anywhere; }
    .wt-link { color: #0969da; text-decoration: underline; cursor: pointer; }
    .wt-link:focus-visible { outline: 2px solid #0969da; outline-offset: 1px; }
    .wt-snippet { display: block; color: #3d444d; font-size: 13px; overflow-wrap: anywhere; }
    .wt-date { display: block; color: #57606a; font-size: 12px; }
  `;

  // One constructed sheet shared by every instance; constructed sheets also satisfy a strict style-src CSP.
  let sharedSheet = null;

  function adoptStyles(root) {
    if (typeof CSSStyleSheet === "function" && "adoptedStyleSheets" in root) {
      try {
        if (sharedSheet === null) {
          sharedSheet = new CSSStyleSheet();
          sharedSheet.replaceSync(STYLE);
        }
        root.adoptedStyleSheets = [sharedSheet];
        return;
      } catch (_) {
        // Older engines: fall through to a <style> element.
      }
    }
    const style = document.createElement("style");
    style.textContent = STYLE;
    root.append(style);
  }

  /** An element with a class and text; text always goes through textContent. */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** Only http(s) links become clickable: a javascript: or data: URL from the data must never be followed. */
  function safeUrl(value, base) {
    if (typeof value !== "string" || value === "") return null;
    try {
      const url = new URL(value, base);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function text(value) {
    return typeof value === "string" ? value : value === null || value === undefined ? "" : String(value);
  }

  function shortDate(value) {
    const date = new Date(text(value));
    if (Number.isNaN(date.getTime())) return "";
    return date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
  }

  /** ``value`` on one line, cut at a word boundary to at most ``limit`` characters (with an ellipsis). */
  function shorten(value, limit) {
    const flat = text(value).split(/\s+/).filter(Boolean).join(" ");
    if (flat.length <= limit) return flat;
    const cut = flat.slice(0, limit - 1);
    const space = cut.lastIndexOf(" ");
    return `${(space > limit / 2 ? cut.slice(0, space) : cut).replace(/[\s,.;:]+$/, "")}…`;
  }

  function clampInt(value, low, high, fallback) {
    const number = Number.parseInt(text(value), 10);
    return Number.isFinite(number) ? Math.min(high, Math.max(low, number)) : fallback;
  }

  class RequestFailed extends Error {
    constructor(status, retryAfter) {
      super(`weaktie request failed (${status})`);
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  /** A short human sentence for a failed request; never the server's own text, which is for developers. */
  function failureMessage(error, notFound) {
    if (!(error instanceof RequestFailed)) return "Something went wrong in the weaktie widget. Reload the page.";
    const status = error.status;
    if (status === 0) return "Cannot reach weaktie right now. Check your connection and try again.";
    if (status === 401) return "Your weaktie access has expired or is missing. Reload the page to sign in again.";
    if (status === 403) return "You are not allowed to see this. Ask your weaktie administrator for access.";
    if (status === 404) return notFound;
    if (status === 413) return "That text is too long to check. Shorten it and try again.";
    if (status === 422 || status === 400) return "weaktie could not read that request. Reload the page.";
    if (status === 429) {
      const seconds = Number.parseInt(text(error.retryAfter), 10);
      return Number.isFinite(seconds) && seconds > 0
        ? `Too many requests just now. Try again in ${seconds} seconds.`
        : "Too many requests just now. Wait a minute and try again.";
    }
    if (status >= 500) return "weaktie is having trouble right now. Please try again later.";
    return "Something went wrong. Please try again later.";
  }

  function retryable(error) {
    return error instanceof RequestFailed && (error.status === 0 || error.status === 429 || error.status >= 500);
  }

  let nextId = 0;

  class WeaktieElement extends HTMLElement {
    static get observedAttributes() {
      return ["api", "token", "person", "count"];
    }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      adoptStyles(this._root);
      this._wrapper = el("section", "wt");
      this._root.append(this._wrapper);
      this._uid = `wt${++nextId}`;
      this._connected = false;
    }

    connectedCallback() {
      this._connected = true;
      this.render();
    }

    disconnectedCallback() {
      this._connected = false;
    }

    attributeChangedCallback(_name, before, after) {
      if (this._connected && before !== after) this.attributesChanged();
    }

    attributesChanged() {}

    render() {}

    get apiBase() {
      const given = (this.getAttribute("api") || "").trim();
      return (given || SCRIPT_ORIGIN).replace(/\/+$/, "");
    }

    get person() {
      return (this.getAttribute("person") || "").trim();
    }

    /** JSON from the weaktie API, or a RequestFailed (status 0 when the network or CORS refused). */
    async request(method, path, body, signal) {
      const headers = { Accept: "application/json" };
      const token = (this.getAttribute("token") || "").trim();
      if (token) headers.Authorization = `Bearer ${token}`;
      const init = { method, headers, credentials: "omit", cache: "no-store", signal };
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      let response;
      try {
        response = await fetch(this.apiBase + path, init);
      } catch (error) {
        if (error && error.name === "AbortError") throw error;
        throw new RequestFailed(0, null);
      }
      if (!response.ok) throw new RequestFailed(response.status, response.headers.get("Retry-After"));
      try {
        return await response.json();
      } catch (_) {
        throw new RequestFailed(502, null);
      }
    }

    /** The polite live region every state change is announced through. */
    makeStatus() {
      const status = el("p", "wt-status");
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      status.setAttribute("aria-atomic", "true");
      return status;
    }

    say(status, message, bad) {
      status.classList.toggle("wt-bad", Boolean(bad));
      status.textContent = message;
    }
  }

  // -- <weaktie-people-to-meet> ----------------------------------------------------------------------------------

  /** How long a card's quoted title may be before it is cut (the whole text is its tooltip). */
  const QUOTE_CHARS = 110;

  /** Reasons that can justify a suggestion on their own (as in recommender/explain.py). */
  const CORE_KINDS = ["shared_topics", "complementary_topics", "mutual_colleagues"];

  const FEEDBACK = [
    { kind: "dismiss", label: "Dismiss", aria: (name) => `Dismiss ${name}`, done: (name) => `Dismissed ${name}.` },
    {
      kind: "met",
      label: "We met",
      aria: (name) => `We met ${name}`,
      done: (name) => `Noted that you met ${name}. Enjoy the connection!`,
    },
    {
      kind: "not_relevant",
      label: "Not relevant",
      aria: (name) => `Not relevant: ${name}`,
      done: (name) => `Got it: ${name} will not be suggested to you again.`,
    },
  ];

  class PeopleToMeet extends WeaktieElement {
    constructor() {
      super();
      this._generation = 0;
      this._controller = null;
      this._pending = false;
    }

    get count() {
      return clampInt(this.getAttribute("count"), 3, 5, 4);
    }

    attributesChanged() {
      // Several attributes set in a row (a framework re-rendering) load once.
      if (this._pending) return;
      this._pending = true;
      queueMicrotask(() => {
        this._pending = false;
        if (this._connected) this.render();
      });
    }

    render() {
      const generation = ++this._generation;
      if (this._controller) this._controller.abort();
      this._controller = typeof AbortController === "function" ? new AbortController() : null;

      const wrapper = this._wrapper;
      wrapper.replaceChildren();
      const titleId = `${this._uid}-title`;
      const title = el("h2", "wt-title", "People you could meet");
      title.id = titleId;
      wrapper.setAttribute("aria-labelledby", titleId);
      wrapper.append(title, el("p", "wt-lead", "Colleagues in other teams who work on what you do."));
      this._body = el("div", "wt-body");
      this._status = this.makeStatus();
      wrapper.append(this._body, this._status);

      if (!this.person) {
        this._body.append(el("p", "wt-error", "This widget needs a person attribute (whose suggestions to show)."));
        return;
      }
      wrapper.setAttribute("aria-busy", "true");
      this._body.append(el("p", "wt-muted", "Finding people you could meet…"));
      const path = `/v1/people/${encodeURIComponent(this.person)}/suggestions?k=${this.count}`;
      this.request("GET", path, undefined, this._controller ? this._controller.signal : undefined).then(
        (data) => {
          if (generation !== this._generation) return;
          wrapper.removeAttribute("aria-busy");
          this.showSuggestions(data && Array.isArray(data.suggestions) ? data.suggestions : []);
        },
        (error) => {
          if (generation !== this._generation || (error && error.name === "AbortError")) return;
          wrapper.removeAttribute("aria-busy");
          this.showFailure(error);
        },
      );
    }

    showFailure(error) {
      const body = this._body;
      body.replaceChildren();
      const message = el("p", "wt-error", failureMessage(error, "weaktie does not know you yet: check back later."));
      message.setAttribute("role", "alert");
      body.append(message);
      if (retryable(error)) {
        const again = el("button", "wt-button", "Try again");
        again.type = "button";
        again.addEventListener("click", () => this.render());
        body.append(again);
      }
    }

    showEmpty() {
      this._body.replaceChildren(el("p", "wt-muted", "No suggestions right now. Check back next week."));
    }

    showSuggestions(suggestions) {
      const shown = suggestions.slice(0, this.count).filter((item) => item && item.candidate && item.candidate.id);
      if (shown.length === 0) {
        this.showEmpty();
        return;
      }
      const list = el("ul", "wt-list");
      list.setAttribute("aria-label", "Suggested colleagues");
      for (const suggestion of shown) list.append(this.card(suggestion));
      this._body.replaceChildren(list);
      this._list = list;
    }

    card(suggestion) {
      const person = suggestion.candidate;
      const name = text(person.name) || text(person.id);
      const item = el("li", "wt-card");
      const article = el("article");
      const nameId = `${this._uid}-${++nextId}`;
      const heading = el("h3", "wt-name", name);
      heading.id = nameId;
      article.setAttribute("aria-labelledby", nameId);
      article.append(heading);

      const meta = [text(person.title), text(person.team)].filter(Boolean).join(" · ");
      if (meta) article.append(el("p", "wt-meta", meta));

      // Reasons come strongest first: the lead is the first that can justify the suggestion on its own.
      const reasons = (Array.isArray(suggestion.reasons) ? suggestion.reasons : []).filter((r) => r && text(r.text));
      const lead = reasons.find((reason) => CORE_KINDS.includes(reason.kind)) || reasons[0];
      if (lead) {
        const line = el("p", "wt-reason", lead.text);
        line.title = text(lead.text); // the whole sentence when the line is cut short
        article.append(line);
      }

      const topics = leadTopics(lead, reasons);
      if (topics.length > 0) {
        const chips = el("ul", "wt-chips");
        chips.setAttribute("aria-label", "Topics");
        for (const topic of topics) chips.append(el("li", "wt-chip", topic));
        article.append(chips);
      }

      const mutual = reasons.find((reason) => reason.kind === "mutual_colleagues");
      if (mutual && mutual !== lead) article.append(el("p", "wt-mutual", mutual.text));

      const quote = quoted(lead, reasons);
      if (quote) article.append(this.quoteLine(quote));

      const actions = el("div", "wt-actions");
      actions.setAttribute("role", "group");
      actions.setAttribute("aria-label", `Your answer about ${name}`);
      for (const choice of FEEDBACK) {
        const button = el("button", "wt-button", choice.label);
        button.type = "button";
        button.setAttribute("aria-label", choice.aria(name));
        button.dataset.kind = choice.kind;
        button.addEventListener("click", () => this.answer(item, person.id, name, choice));
        actions.append(button);
      }
      article.append(actions);
      item.append(article);
      return item;
    }

    /** The one post a card quotes: its title (or snippet) as a link to the post, and its date. */
    quoteLine(post) {
      const line = el("p", "wt-quote");
      const whole = text(post.title) || text(post.snippet);
      const label = shorten(whole, QUOTE_CHARS);
      if (label !== whole) line.title = whole;
      const href = safeUrl(post.url, this.apiBase);
      if (href) {
        const link = el("a", "wt-link", label || "Open the post");
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        line.append(link);
      } else {
        line.append(el("span", "wt-quote-text", label));
      }
      const when = shortDate(post.created_at);
      if (when) line.append(el("span", "wt-quote-date", ` · ${when}`));
      return line;
    }

    async answer(item, candidate, name, choice) {
      const buttons = Array.from(item.querySelectorAll("button"));
      const hadFocus = item.contains(this._root.activeElement);
      for (const button of buttons) button.disabled = true;
      this.say(this._status, "Saving…");
      try {
        await this.request("POST", `/v1/people/${encodeURIComponent(this.person)}/feedback`, {
          candidate,
          kind: choice.kind,
        });
      } catch (error) {
        for (const button of buttons) button.disabled = false;
        this.say(this._status, failureMessage(error, "weaktie no longer knows this suggestion. Reload the page."), true);
        return;
      }
      const next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      this.say(this._status, choice.done(name));
      this.dispatchEvent(
        new CustomEvent("weaktie-feedback", { detail: { candidate, kind: choice.kind }, bubbles: true, composed: true }),
      );
      if (!this._list || this._list.children.length === 0) {
        this.showEmpty();
      } else if (hadFocus && next) {
        // Keep keyboard users in the list rather than dropping focus to the top of the page.
        const target = next.querySelector("button");
        if (target) target.focus();
      }
    }
  }

  /** The lead reason's topics, else those of any reason; at most five, no repeats. */
  function leadTopics(lead, reasons) {
    const pick = (from) => {
      const seen = [];
      for (const reason of from) {
        if (!reason || !Array.isArray(reason.topics)) continue;
        for (const topic of reason.topics) {
          const label = text(topic);
          if (label && !seen.includes(label)) seen.push(label);
        }
      }
      return seen;
    };
    const own = lead ? pick([lead]) : [];
    return (own.length > 0 ? own : pick(reasons)).slice(0, 5);
  }

  /** The one post a card quotes: the lead reason's first evidence, else the first of any reason. */
  function quoted(lead, reasons) {
    const first = (reason) => (reason && Array.isArray(reason.evidence) ? reason.evidence.find(Boolean) : undefined);
    return first(lead) || reasons.map(first).find(Boolean) || null;
  }

  // -- <weaktie-already-done> ------------------------------------------------------------------------------------

  const MAX_TEXT = 20000;

  class AlreadyDone extends WeaktieElement {
    constructor() {
      super();
      this._generation = 0;
    }

    get count() {
      return clampInt(this.getAttribute("count"), 1, 10, 3);
    }

    attributesChanged() {
      // Keep what the person typed: only the results depend on the attributes, and they are redone on submit.
    }

    render() {
      if (this._form) return;
      const wrapper = this._wrapper;
      const titleId = `${this._uid}-title`;
      const title = el("h2", "wt-title", "Has someone already done this?");
      title.id = titleId;
      wrapper.setAttribute("aria-labelledby", titleId);
      wrapper.append(
        title,
        el("p", "wt-lead", "Before you post, check who in the company already worked on it."),
      );

      const form = el("form", "wt-form");
      form.noValidate = true;
      const fieldId = `${this._uid}-text`;
      const label = el("label", "wt-label", "Your draft post");
      label.htmlFor = fieldId;
      const textarea = el("textarea", "wt-textarea");
      textarea.id = fieldId;
      textarea.name = "text";
      textarea.rows = 4;
      textarea.maxLength = MAX_TEXT;
      textarea.placeholder = "What are you working on or about to start?";
      const button = el("button", "wt-button wt-primary", "Check who already did it");
      button.type = "submit";
      form.append(label, textarea, button);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.check();
      });
      textarea.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          this.check();
        }
      });

      this._form = form;
      this._textarea = textarea;
      this._button = button;
      this._status = this.makeStatus();
      this._results = el("div", "wt-body");
      wrapper.append(form, this._status, this._results);
    }

    async check() {
      const draft = this._textarea.value.trim();
      if (!draft) {
        this.say(this._status, "Write a sentence or two about what you are about to do first.", true);
        this._textarea.focus();
        return;
      }
      const generation = ++this._generation;
      const body = { text: draft.slice(0, MAX_TEXT), k: this.count };
      if (this.person) body.asker = this.person;
      this._button.disabled = true;
      this._wrapper.setAttribute("aria-busy", "true");
      this.say(this._status, "Looking for colleagues who already did this…");
      this._results.replaceChildren();
      let data;
      try {
        data = await this.request("POST", "/v1/already-done", body);
      } catch (error) {
        if (generation !== this._generation) return;
        this.say(this._status, failureMessage(error, "weaktie does not know you yet: check back later."), true);
        return;
      } finally {
        if (generation === this._generation) {
          this._button.disabled = false;
          this._wrapper.removeAttribute("aria-busy");
        }
      }
      if (generation !== this._generation) return;
      const matches = data && Array.isArray(data.matches) ? data.matches.filter((m) => m && m.person) : [];
      if (matches.length === 0) {
        this.say(this._status, "Nobody seems to have done this yet. Go ahead and post it!");
        return;
      }
      this.say(this._status, matches.length === 1 ? "1 colleague already did this." : `${matches.length} colleagues already did this.`);
      const list = el("ul", "wt-list");
      list.setAttribute("aria-label", "Colleagues who already did this");
      for (const match of matches) list.append(this.matchCard(match));
      this._results.append(list);
    }

    matchCard(match) {
      const person = match.person;
      const item = el("li", "wt-card");
      const article = el("article");
      const nameId = `${this._uid}-${++nextId}`;
      const heading = el("h3", "wt-name", text(person.name) || text(person.id));
      heading.id = nameId;
      if (match.cross_team) heading.append(el("span", "wt-badge", "other team"));
      article.setAttribute("aria-labelledby", nameId);
      article.append(heading);
      const meta = [text(person.title), text(person.team)].filter(Boolean).join(" · ");
      if (meta) article.append(el("p", "wt-meta", meta));

      const evidence = Array.isArray(match.evidence) ? match.evidence : [];
      if (evidence.length > 0) {
        const list = el("ul", "wt-evidence");
        list.setAttribute("aria-label", "What they wrote");
        for (const post of evidence.slice(0, 2)) list.append(this.evidenceItem(post));
        article.append(list);
      }
      item.append(article);
      return item;
    }

    evidenceItem(post) {
      const item = el("li", "wt-item");
      const title = text(post.title);
      const href = safeUrl(post.url, this.apiBase);
      if (title) {
        const line = el("span", "wt-item-title");
        if (href) {
          const link = el("a", "wt-link", title);
          link.href = href;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          line.append(link);
        } else {
          line.textContent = title;
        }
        item.append(line);
      }
      if (text(post.snippet)) item.append(el("span", "wt-snippet", post.snippet));
      if (!title && href) {
        const link = el("a", "wt-link", "Open the post");
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        item.append(link);
      }
      const when = shortDate(post.created_at);
      if (when) item.append(el("span", "wt-date", when));
      return item;
    }
  }

  // Defining twice (the script included twice on one page) would throw; the first definition wins.
  if (!customElements.get("weaktie-people-to-meet")) customElements.define("weaktie-people-to-meet", PeopleToMeet);
  if (!customElements.get("weaktie-already-done")) customElements.define("weaktie-already-done", AlreadyDone);
})();
