// Console panel: attach a challenge to the selected geofence (plus any other of my
// fences) and follow a challenge's leaderboard. challenge_progress events go to players
// only, so the leaderboard re-reads itself when one of its fences reports an event, and
// every few seconds while the page is visible.
import { el, formatTime, toast } from "./common.js";

const REFRESH_MS = 10000;

export function setupChallenges({ api, user, fences }) {
  const select = document.getElementById("challenge-select");
  const formBox = document.getElementById("challenge-form");
  const table = document.querySelector("#leaderboard tbody");
  const challenges = new Map(); // id -> challenge
  let pending = null;

  async function load() {
    try {
      const body = await api.request("GET", "/api/challenges?mine=true&limit=200");
      for (const c of body.items) challenges.set(c.id, c);
    } catch (err) {
      toast(`Challenges: ${err.message}`, "error");
    }
    renderSelect();
    await refreshLeaderboard();
  }

  function renderSelect(selected = select.value) {
    select.replaceChildren(
      ...[...challenges.values()].map((c) =>
        el("option", { value: c.id, selected: c.id === selected }, `${c.name} (${c.kind})`),
      ),
    );
    if (!challenges.size) select.append(el("option", { value: "" }, "No challenges yet"));
  }

  async function refreshLeaderboard() {
    const id = select.value;
    if (!id) {
      table.replaceChildren();
      return;
    }
    try {
      const board = await api.request("GET", `/api/challenges/${id}/leaderboard?limit=50`);
      if (select.value !== id) return;
      table.replaceChildren(
        el("tr", {}, el("th", {}, "#"), el("th", {}, "Player"), el("th", {}, "Progress"), el("th", {}, "Done")),
        ...board.items.map((row) =>
          el(
            "tr",
            { dataset: { userId: row.user_id }, "data-testid": "leaderboard-row" },
            el("td", {}, String(row.rank)),
            el("td", {}, row.username),
            el("td", { "data-testid": "leaderboard-progress" }, `${row.progress}/${row.goal}`),
            el("td", {}, row.completed_at ? formatTime(row.completed_at) : ""),
          ),
        ),
      );
      if (!board.items.length) {
        table.append(el("tr", {}, el("td", { colspan: "4", class: "muted" }, "Nobody has joined yet.")));
      }
    } catch (err) {
      table.replaceChildren(el("tr", {}, el("td", { colspan: "4", class: "error" }, err.message)));
    }
  }

  function scheduleRefresh() {
    clearTimeout(pending);
    pending = setTimeout(refreshLeaderboard, 300);
  }

  select.addEventListener("change", refreshLeaderboard);
  setInterval(() => {
    if (document.visibilityState === "visible") refreshLeaderboard();
  }, REFRESH_MS);

  // The "attach a challenge" form for the selected fence.
  function renderFor(fence) {
    const mine = [...fences.values()].map(({ fence: f }) => f).filter((f) => f.owner_id === user.id);
    if (fence.owner_id !== user.id) {
      formBox.replaceChildren(el("p", { class: "muted" }, "Only the fence's owner attaches challenges."));
      return;
    }
    const name = el("input", { type: "text", "data-testid": "challenge-name", value: `${fence.name} challenge` });
    const kind = el(
      "select",
      { "data-testid": "challenge-kind" },
      el("option", { value: "checkpoints" }, "Visit the checkpoints"),
      el("option", { value: "dwell" }, "Stay inside for a while"),
      el("option", { value: "collect" }, "Collect NFTs inside"),
    );
    const ordered = el("input", { type: "checkbox" });
    const amount = el("input", { type: "number", min: "1", value: "60", "data-testid": "challenge-amount" });
    const reward = el("input", { type: "text", placeholder: "optional NFT reward name" });
    const boxes = mine.map((f) =>
      el("input", { type: "checkbox", value: f.id, checked: f.id === fence.id, dataset: { fenceId: f.id } }),
    );
    const error = el("p", { class: "error", "data-testid": "challenge-error" });
    const attached = el("ul", { "data-testid": "fence-challenges" });
    const create = el(
      "button",
      {
        "data-testid": "challenge-create",
        onclick: async () => {
          error.textContent = "";
          const n = Number.parseInt(amount.value, 10);
          const body = {
            name: name.value.trim(),
            kind: kind.value,
            fence_ids: boxes.filter((b) => b.checked).map((b) => b.value),
            ordered: ordered.checked,
            dwell_seconds: kind.value === "dwell" ? n : null,
            collect_count: kind.value === "collect" ? n : null,
            reward: reward.value.trim() ? { name: reward.value.trim(), metadata: {} } : null,
          };
          try {
            const created = await api.request("POST", "/api/challenges", body);
            challenges.set(created.id, created);
            renderSelect(created.id);
            select.value = created.id;
            await refreshLeaderboard();
            await listAttached(fence, attached);
            toast(`Challenge ${created.name} created`, "success");
          } catch (err) {
            error.textContent = err.message;
          }
        },
      },
      "Attach challenge",
    );
    formBox.replaceChildren(
      el("label", {}, "Challenge name ", name),
      el("label", {}, "Kind ", kind),
      el("label", {}, "Seconds to stay / NFTs to collect ", amount),
      el("label", {}, ordered, " checkpoints in order"),
      el("div", { class: "muted" }, "Fences:"),
      ...mine.map((f, i) => el("label", {}, boxes[i], ` ${f.name}`)),
      el("label", {}, "Reward ", reward),
      create,
      error,
      el("div", { class: "muted" }, "Challenges on this fence:"),
      attached,
    );
    listAttached(fence, attached);
  }

  async function listAttached(fence, list) {
    try {
      const body = await api.request("GET", `/api/challenges?fence_id=${fence.id}`);
      list.replaceChildren(
        ...body.items.map((c) =>
          el(
            "li",
            {},
            el(
              "a",
              {
                href: "#",
                onclick: (e) => {
                  e.preventDefault();
                  challenges.set(c.id, c);
                  renderSelect(c.id);
                  select.value = c.id;
                  refreshLeaderboard();
                },
              },
              c.name,
            ),
            el("span", { class: "muted" }, ` ${c.kind}, goal ${c.goal}`),
          ),
        ),
      );
      if (!body.items.length) list.append(el("li", { class: "muted" }, "none"));
    } catch (err) {
      list.replaceChildren(el("li", { class: "error" }, err.message));
    }
  }

  // A fence event: if the shown challenge uses that fence, its leaderboard may have moved.
  function onFenceEvent(data) {
    const shown = challenges.get(select.value);
    if (shown && (!data.fence_id || shown.fence_ids.includes(data.fence_id))) scheduleRefresh();
  }

  return { load, renderFor, onFenceEvent, onProgress: onFenceEvent, refreshLeaderboard };
}
