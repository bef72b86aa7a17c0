// Small DOM helpers. Everything the console shows is built with DOM APIs and textContent — never innerHTML — so
// text from the API (notes, reasons, ids) can never become markup, and nothing needs an inline style or script.

const SVG_NS = "http://www.w3.org/2000/svg";

function setProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") {
      el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    } else if (key === "text") {
      el.textContent = String(value);
    } else if (key === "dataset") {
      for (const [name, data] of Object.entries(value)) {
        if (data !== undefined && data !== null) el.dataset[name] = String(data);
      }
    } else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "style") {
      // The CSP (style-src 'self') refuses style attributes: use classes.
      throw new Error("style attributes are not allowed; use a class");
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

function appendChildren(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** An HTML element: h("p", {class: "x"}, "text", h("strong", {}, "bold")). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  appendChildren(el, children);
  return el;
}

/** An SVG element, for the chart. */
export function svg(tag, props = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  appendChildren(el, children);
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

/** "2026-11-29T05:22:23.384Z" → a <time> reading "2026-11-29 05:22:23 UTC" (the server's clock, in UTC). */
export function timeEl(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso }, formatTimestamp(iso));
}

export function formatTimestamp(iso) {
  if (typeof iso !== "string") return String(iso ?? "");
  return iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC");
}

/** 7207 → "2 h 0 min"; 900 → "15 min"; 45 → "45 s". */
export function formatDuration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** The first `n` characters of a hash, for display (the full value is in the title). */
export function shortHash(value, n = 12) {
  const text = String(value ?? "");
  return h("code", { class: "hash", title: text }, text.length > n ? `${text.slice(0, n)}…` : text);
}
