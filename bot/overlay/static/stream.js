"use strict";
// A Server-Sent Events client over fetch(): unlike EventSource it sees keep-alive comments, so the page
// can tell a quiet stream from a frozen one, and it sends Last-Event-ID itself on every reconnect.
window.livegiftsStream = function (onEvent) {
  const STALE_MS = 45000; // nothing at all (not even a keep-alive) for this long: reconnect
  const url = location.pathname.replace(/\/+$/, "") + "/events";
  let lastId = null;
  let retryMs = 2000;
  let active = null;
  let lastHeard = Date.now();

  function dispatch(block) {
    let event = "message";
    let id = null;
    const data = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
      else if (field === "retry" && /^\d+$/.test(value)) retryMs = parseInt(value, 10);
    }
    if (data.length) {
      try {
        onEvent(event, JSON.parse(data.join("\n")));
      } catch (error) {
        console.error("overlay: bad event", error);
      }
    }
    if (id !== null) lastId = id; // only once the event was handled
  }

  async function connect() {
    const controller = new AbortController();
    active = controller;
    lastHeard = Date.now();
    const headers = { Accept: "text/event-stream" };
    if (lastId !== null) headers["Last-Event-ID"] = lastId;
    try {
      const response = await fetch(url, { headers, signal: controller.signal, cache: "no-store" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      document.documentElement.dataset.stream = "open";
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        lastHeard = Date.now();
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (error) {
      // dropped, refused or aborted by the watchdog: try again below
    }
    if (active === controller) {
      document.documentElement.dataset.stream = "reconnecting";
      active = null;
      setTimeout(connect, retryMs);
    }
  }

  setInterval(function () {
    if (active !== null && Date.now() - lastHeard > STALE_MS) {
      const frozen = active;
      active = null;
      frozen.abort();
      document.documentElement.dataset.stream = "reconnecting";
      connect();
    }
  }, 5000);
  connect();
};
