// The playground page: act as one person of the demo server. Every text from the server is inserted with
// textContent (never as HTML): members' names and messages are untrusted.
"use strict";

const SUB_COMMAND = 1, SUB_COMMAND_GROUP = 2;
const STRING = 3, INTEGER = 4, BOOLEAN = 5, USER = 6, CHANNEL = 7, ROLE = 8, MENTIONABLE = 9, NUMBER = 10;
const POLL_MS = 700;
const DMS = "dms";

const page = {
  me: null,           // the person's id
  tab: null,          // a channel id, or DMS
  state: null,
  shown: "",          // what the feed shows, to redraw only on change
  commandsKey: "",
  leaves: [],         // [{path, node}]
};

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// Discord's **bold** and `code`, as elements holding text: nothing from a message is parsed as HTML.
function formatted(tag, className, text) {
  const node = el(tag, { class: className });
  for (const [index, part] of text.split(/(\*\*[^*]+\*\*|`[^`]+`)/).entries()) {
    if (index % 2 === 0) node.append(part);
    else if (part.startsWith("**")) node.append(el("strong", { text: part.slice(2, -2) }));
    else node.append(el("code", { text: part.slice(1, -1) }));
  }
  return node;
}

async function api(method, path, body) {
  const options = { method, headers: { "Content-Type": "application/json" } };
  if (body !== undefined) options.body = JSON.stringify(body);
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

function showError(message) {
  document.getElementById("error").textContent = message || "";
}

// ------------------------------------------------------------------ state

async function refresh() {
  if (page.me === null) return;
  try {
    page.state = await api("GET", `/play/api/state?as=${encodeURIComponent(page.me)}`);
  } catch (error) {
    showError(`The playground is not answering (${error.message}). Is it still running?`);
    return;
  }
  followTour();
  renderPeople();
  renderTabs();
  renderFeed();
  renderCommands();
  renderTour();
  renderOverlay();
}

function followTour() {
  const tour = page.state.tour;
  if (tour.running && tour.actor && document.getElementById("tour-follow").checked && tour.actor !== page.me) {
    page.me = tour.actor;
    page.shown = "";
  }
}

function person(id) {
  return page.state.people.find((p) => p.id === id);
}

function fillSelect(select, items, keep) {
  const previous = keep ? select.value : null;
  const key = JSON.stringify(items);
  if (select.dataset.key !== key) {
    select.replaceChildren(...items.map(([value, label]) => el("option", { value, text: label })));
    select.dataset.key = key;
  }
  if (previous !== null && items.some(([value]) => value === previous)) select.value = previous;
}

function renderPeople() {
  const people = page.state.people.map((p) => [p.id, `${p.name} (${p.label})`]);
  fillSelect(document.getElementById("person"), people, false);
  document.getElementById("person").value = page.me;
  const me = person(page.me);
  const roles = me && me.roles.length ? ` · roles: ${me.roles.join(", ")}` : "";
  document.getElementById("person-label").textContent = me ? `${me.name}, ${me.label}${roles}` : "";
  fillSelect(document.getElementById("grant-role-person"), page.state.people.map((p) => [p.id, p.name]), true);
  fillSelect(document.getElementById("grant-role-role"), page.state.roles.map((r) => [r.id, r.name]), true);
  document.getElementById("server-name").textContent = `— ${page.state.server}`;
}

function renderTabs() {
  const tabs = page.state.channels.map((c) => [c.id, `#${c.name}`]).concat([[DMS, "Your DMs"]]);
  if (page.tab === null) page.tab = tabs[0][0];
  const labelled = tabs.map(([id, label]) => {
    const count = id === DMS ? page.state.seen.dms.length : (page.state.seen.channels[id] || []).length;
    return [id, count ? `${label} (${count})` : label];
  });
  const nav = document.getElementById("tabs");
  const ids = JSON.stringify(tabs.map(([id]) => id));
  if (nav.dataset.ids !== ids) {  // buttons stay in place while only their counts change
    nav.dataset.ids = ids;
    nav.replaceChildren(...tabs.map(([id]) => el("button", {
      type: "button", role: "tab", "data-tab": id,
      onclick: () => { page.tab = id; page.shown = ""; renderFeed(); renderTabs(); },
    })));
  }
  labelled.forEach(([id, text], index) => {
    const button = nav.children[index];
    if (button.textContent !== text) button.textContent = text;
    button.setAttribute("aria-selected", String(id === page.tab));
  });
}

// ------------------------------------------------------------------ the feed

function renderFeed() {
  const items = page.tab === DMS ? page.state.seen.dms : (page.state.seen.channels[page.tab] || []);
  const key = JSON.stringify([page.me, page.tab, items]);
  if (key === page.shown) return;
  page.shown = key;
  const feed = document.getElementById("feed");
  const atBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < 40;
  if (!items.length) {
    feed.replaceChildren(el("li", { class: "empty", text: page.tab === DMS ? "No direct messages." : "Nothing here yet." }));
    return;
  }
  feed.replaceChildren(...items.map(renderMessage));
  if (atBottom) feed.scrollTop = feed.scrollHeight;
}

function renderMessage(item) {
  const meta = el("div", { class: "meta" },
    el("span", { class: "author", text: "livegifts" }),
    item.invocation ? el("span", { text: `in answer to ${item.invoker} (${item.invocation})` }) : null,
    item.ephemeral ? el("span", { class: "only-you", text: "Only you can see this" }) : null,
    item.edited ? el("span", { class: "only-you", text: "(edited)" }) : null,
  );
  const body = [];
  if (item.content) body.push(formatted("div", "content", item.content));
  else if (item.thinking) body.push(el("div", { class: "content hint", text: "livegifts is thinking…" }));
  for (const embed of item.embeds) body.push(renderEmbed(embed));
  for (const attachment of item.attachments) {
    const src = `/play/api/attachment/${item.id}/${attachment.index}?as=${encodeURIComponent(page.me)}`;
    body.push(attachment.filename.toLowerCase().endsWith(".png")
      ? el("img", { src, alt: attachment.filename })
      : el("a", { href: src, text: attachment.filename }));
  }
  if (item.buttons.length) {
    body.push(el("div", { class: "buttons" }, ...item.buttons.map((button) => el("button", {
      type: "button", class: `style-${button.style}`, disabled: button.disabled, text: button.label || "…",
      onclick: () => press(item, button),
    }))));
  }
  return el("li", { class: item.ephemeral ? "message ephemeral" : "message", "data-id": item.id }, meta, ...body);
}

function renderEmbed(embed) {
  return el("div", { class: "embed" },
    embed.title ? el("div", { class: "title", text: embed.title }) : null,
    embed.description ? formatted("div", "description", embed.description) : null,
    ...embed.fields.flatMap((field) => [
      el("div", { class: "field-name", text: field.name }),
      formatted("div", "field-value", field.value),
    ]),
    embed.footer ? el("div", { class: "footer", text: embed.footer }) : null,
  );
}

async function press(item, button) {
  showError("");
  try {
    await api("POST", "/play/api/press", { as: page.me, message_id: item.id, custom_id: button.custom_id });
  } catch (error) {
    showError(error.message);
  }
  refresh();
}

// ------------------------------------------------------------------ commands

function leavesOf(commands) {
  const leaves = [];
  function walk(prefix, node) {
    const subs = (node.options || []).filter((o) => o.type === SUB_COMMAND || o.type === SUB_COMMAND_GROUP);
    if (!subs.length) leaves.push({ path: prefix, node });
    for (const sub of subs) walk(`${prefix} ${sub.name}`, sub);
  }
  for (const command of commands) if ((command.type || 1) === 1) walk(command.name, command);
  return leaves.sort((a, b) => a.path.localeCompare(b.path));
}

function renderCommands() {
  const key = JSON.stringify(page.state.commands);
  if (key === page.commandsKey) return;
  page.commandsKey = key;
  page.leaves = leavesOf(page.state.commands);
  const select = document.getElementById("command");
  const first = select.options.length === 0;
  fillSelect(select, page.leaves.map((leaf) => [leaf.path, `/${leaf.path}`]), true);
  if (first && page.leaves.some((leaf) => leaf.path === "wallet balance")) select.value = "wallet balance";
  renderOptions();
}

function currentLeaf() {
  const path = document.getElementById("command").value;
  return page.leaves.find((leaf) => leaf.path === path);
}

function renderOptions() {
  const leaf = currentLeaf();
  const container = document.getElementById("options");
  showError("");
  if (!leaf) { container.replaceChildren(); return; }
  document.getElementById("command-description").textContent = leaf.node.description || "";
  container.replaceChildren(...(leaf.node.options || []).map((option) => renderOption(leaf, option)));
}

function renderOption(leaf, option) {
  const id = `option-${option.name}`;
  const label = el("label", { for: id, text: `${option.name}${option.required ? " *" : ""} — ${option.description || ""}` });
  let input;
  if (option.choices && option.choices.length) {
    input = el("select", { id });
    if (!option.required) input.append(el("option", { value: "", text: "(none)" }));
    for (const choice of option.choices) input.append(el("option", { value: String(choice.value), text: choice.name }));
  } else if (option.type === BOOLEAN) {
    input = el("select", { id },
      option.required ? null : el("option", { value: "", text: "(none)" }),
      el("option", { value: "true", text: "true" }), el("option", { value: "false", text: "false" }));
  } else if (option.type === USER || option.type === MENTIONABLE) {
    input = el("select", { id }, option.required ? null : el("option", { value: "", text: "(none)" }),
      ...page.state.people.map((p) => el("option", { value: p.id, text: p.name })),
      ...(option.type === MENTIONABLE ? page.state.roles.map((r) => el("option", { value: r.id, text: `@${r.name}` })) : []));
  } else if (option.type === CHANNEL) {
    input = el("select", { id }, option.required ? null : el("option", { value: "", text: "(none)" }),
      ...page.state.channels.map((c) => el("option", { value: c.id, text: `#${c.name}` })));
  } else if (option.type === ROLE) {
    input = el("select", { id }, option.required ? null : el("option", { value: "", text: "(none)" }),
      ...page.state.roles.map((r) => el("option", { value: r.id, text: r.name })));
  } else {
    const numeric = option.type === INTEGER || option.type === NUMBER;
    input = el("input", {
      id, type: numeric && !option.autocomplete ? "number" : "text", autocomplete: "off",
      min: option.min_value, max: option.max_value, maxlength: option.max_length,
      step: option.type === NUMBER ? "any" : (numeric ? "1" : null),
    });
  }
  input.dataset.name = option.name;
  input.dataset.type = String(option.type);
  input.classList.add("option-input");
  const wrapper = el("div", { class: "option", "data-option": option.name }, label, input);
  if (option.autocomplete) {
    const list = el("ul", { class: "suggestions", id: `suggestions-${option.name}` });
    wrapper.append(list);
    let timer = null;
    const ask = () => { clearTimeout(timer); timer = setTimeout(() => suggest(leaf, option, input, list), 200); };
    input.addEventListener("input", ask);
    input.addEventListener("focus", ask);
  }
  return wrapper;
}

function formValues() {
  const values = {};
  for (const input of document.querySelectorAll("#options .option-input")) {
    if (input.value !== "") values[input.dataset.name] = input.dataset.chosen || input.value;
  }
  return values;
}

async function suggest(leaf, option, input, list) {
  delete input.dataset.chosen;
  try {
    const options = formValues();
    options[option.name] = input.value;
    const result = await api("POST", "/play/api/autocomplete", {
      as: page.me, channel_id: channelForCommands(), path: leaf.path, focused: option.name, options,
    });
    list.replaceChildren(...result.choices.map((choice) => el("li", {}, el("button", {
      type: "button", text: choice.name,
      onclick: () => { input.value = String(choice.value); input.dataset.chosen = String(choice.value); list.replaceChildren(); },
    }))));
  } catch (error) {
    list.replaceChildren();
    showError(error.message);
  }
}

function channelForCommands() {
  return page.tab === DMS || page.tab === null ? page.state.channels[0].id : page.tab;
}

async function runCommand(event) {
  event.preventDefault();
  const leaf = currentLeaf();
  if (!leaf) return;
  showError("");
  const values = formValues();
  const missing = (leaf.node.options || []).filter((o) => o.required && !(o.name in values)).map((o) => o.name);
  if (missing.length) { showError(`Fill in: ${missing.join(", ")}.`); return; }
  const button = document.getElementById("run");
  button.disabled = true;
  try {
    await api("POST", "/play/api/command", { as: page.me, channel_id: channelForCommands(), path: leaf.path, options: values });
  } catch (error) {
    showError(error.message);
  } finally {
    button.disabled = false;
  }
  refresh();
}

// ------------------------------------------------------------------ people, roles, tour, overlay

async function submit(event, path, body, after) {
  event.preventDefault();
  showError("");
  try {
    const result = await api("POST", path, body());
    if (after) after(result);
  } catch (error) {
    showError(error.message);
  }
  refresh();
}

function renderTour() {
  const tour = page.state.tour;
  document.getElementById("tour-start").disabled = tour.running;
  const caption = tour.failure || (tour.step ? (tour.running ? `Step ${tour.step} of ${tour.steps}: ${tour.caption}` : tour.caption) : "");
  document.getElementById("tour-caption").textContent = caption;
}

function renderOverlay() {
  const overlays = page.state.overlays;
  document.getElementById("overlay-panel").hidden = overlays.length === 0;
  if (!overlays.length) return;
  const select = document.getElementById("overlay-creator");
  fillSelect(select, overlays.map((o) => [o.creator_id, o.name]), true);
  const chosen = overlays.find((o) => o.creator_id === select.value) || overlays[0];
  const frame = document.getElementById("overlay-frame");
  if (frame.getAttribute("src") !== chosen.url) frame.setAttribute("src", chosen.url);
}

function start() {
  document.getElementById("person").addEventListener("change", (event) => {
    page.me = event.target.value; page.shown = ""; document.getElementById("tour-follow").checked = false; refresh();
  });
  document.getElementById("command").addEventListener("change", renderOptions);
  document.getElementById("overlay-creator").addEventListener("change", renderOverlay);
  document.getElementById("composer").addEventListener("submit", runCommand);
  document.getElementById("tour-start").addEventListener("click", async () => {
    document.getElementById("tour-follow").checked = true;
    try { await api("POST", "/play/api/tour", {}); } catch (error) { showError(error.message); }
    refresh();
  });
  document.getElementById("add-person").addEventListener("submit", (event) => submit(event, "/play/api/people", () => ({
    name: document.getElementById("new-person-name").value,
    moderator: document.getElementById("new-person-moderator").checked,
  }), (result) => { page.me = result.id; page.shown = ""; document.getElementById("new-person-name").value = ""; }));
  document.getElementById("add-role").addEventListener("submit", (event) => submit(event, "/play/api/roles", () => ({
    name: document.getElementById("new-role-name").value,
  }), () => { document.getElementById("new-role-name").value = ""; }));
  document.getElementById("grant-role").addEventListener("submit", (event) => submit(event, "/play/api/role-grants", () => ({
    user_id: document.getElementById("grant-role-person").value,
    role_id: document.getElementById("grant-role-role").value,
  })));
}

async function boot() {
  start();
  // A newcomer starts as the first plain member, where most people are.
  const { people } = await api("GET", "/play/api/people");
  page.me = (people.find((p) => p.label === "member") || people[0]).id;
  await refresh();
  setInterval(refresh, POLL_MS);
}

document.addEventListener("DOMContentLoaded", boot);
