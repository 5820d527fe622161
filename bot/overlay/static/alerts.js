"use strict";
// The alert box: one alert at a time from a queue. A streak (same sender, same gift) updates the alert on
// screen, or the one waiting, instead of queueing another. Member text is only ever set as textContent.
(function () {
  const stage = document.getElementById("stage");
  const chime = new Audio("/assets/chime.wav");
  let settings = { duration_ms: 5000, tts: false, tts_min_coins: 100, sound: true };
  const queue = [];
  const SEEN_KEPT = 5000;
  const seen = new Set();
  let current = null;

  function sameStreak(a, b) {
    return a.sender === b.sender && a.gift === b.gift && a.test === b.test;
  }

  function absorb(into, alert) {
    into.count += alert.count;
    into.coins += alert.coins;
    into.duration_ms = Math.max(into.duration_ms, alert.duration_ms);
    if (alert.message) into.message = alert.message;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(alert) {
    const box = element("div", "alert");
    box.dataset.alertId = String(alert.id);
    box.appendChild(element("div", "emoji", alert.emoji));
    const body = element("div", "body");
    const headline = element("div", "headline");
    headline.appendChild(element("span", "sender", alert.sender));
    headline.appendChild(document.createTextNode(" sent "));
    headline.appendChild(element("span", "gift", alert.gift));
    headline.appendChild(element("span", "count", "×" + alert.count.toLocaleString()));
    body.appendChild(headline);
    body.appendChild(element("div", "message", alert.message || ""));
    if (alert.test) body.appendChild(element("div", "test-badge", "TEST"));
    box.appendChild(body);
    return box;
  }

  function speak(alert) {
    if (!alert.speak || !alert.message || !window.speechSynthesis) return;
    const utterance = new SpeechSynthesisUtterance(alert.sender + " says: " + alert.message);
    window.speechSynthesis.speak(utterance);
  }

  function show(alert) {
    const box = render(alert);
    stage.replaceChildren(box);
    current = { alert: alert, box: box, timer: null };
    if (settings.sound) {
      chime.currentTime = 0;
      chime.play().catch(function () {}); // a browser may refuse sound without a click: OBS does not
    }
    speak(alert);
    schedule(alert.duration_ms);
  }

  function schedule(ms) {
    clearTimeout(current.timer);
    const shown = current;
    current.timer = setTimeout(function () {
      shown.box.classList.add("leaving");
      setTimeout(function () {
        shown.box.remove();
        if (current === shown) current = null;
        next();
      }, 400);
    }, ms);
  }

  function next() {
    if (current === null && queue.length) show(queue.shift());
  }

  function enqueue(alert) {
    if (seen.has(alert.id)) return;
    seen.add(alert.id);
    if (seen.size > SEEN_KEPT) seen.delete(seen.values().next().value); // ids only grow: forget the oldest
    if (current !== null && sameStreak(current.alert, alert) && !current.box.classList.contains("leaving")) {
      absorb(current.alert, alert);
      const count = current.box.querySelector(".count");
      count.textContent = "×" + current.alert.count.toLocaleString();
      count.classList.remove("bump");
      void count.offsetWidth; // restart the animation
      count.classList.add("bump");
      current.box.querySelector(".message").textContent = current.alert.message || "";
      schedule(current.alert.duration_ms);
      return;
    }
    const waiting = queue.find(function (queued) { return sameStreak(queued, alert); });
    if (waiting) {
      absorb(waiting, alert);
      return;
    }
    queue.push(Object.assign({}, alert));
    next();
  }

  window.livegiftsStream(function (event, data) {
    if (event === "settings") settings = data;
    else if (event === "alert") enqueue(data);
    else if (event === "backlog") data.forEach(enqueue);
  });
})();
