"use strict";
// The goal bar and the top-three list: each state event replaces what is shown (text via textContent).
(function () {
  const widget = document.body.dataset.widget;

  function goal(state) {
    const box = document.getElementById("goal");
    box.classList.toggle("hidden", !state.live || !state.goal);
    if (!state.goal) return;
    box.querySelector(".goal-title").textContent = state.title || "Goal";
    const share = Math.min(1, state.coins / state.goal);
    box.querySelector(".goal-fill").style.width = (share * 100).toFixed(1) + "%";
    box.querySelector(".goal-figures").textContent =
      "🪙 " + state.coins.toLocaleString() + " / " + state.goal.toLocaleString();
  }

  function top(state) {
    const list = document.getElementById("top");
    list.classList.toggle("hidden", !state.live || state.top.length === 0);
    list.replaceChildren();
    for (const gifter of state.top) {
      const item = document.createElement("li");
      item.textContent = gifter.name;
      if (gifter.coins !== null) {
        const coins = document.createElement("span");
        coins.className = "coins";
        coins.textContent = "🪙 " + gifter.coins.toLocaleString();
        item.appendChild(coins);
      }
      list.appendChild(item);
    }
  }

  window.livegiftsStream(function (event, data) {
    if (event !== "state") return;
    if (widget === "goal") goal(data);
    else if (widget === "top") top(data);
  });
})();
