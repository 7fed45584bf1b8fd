// Mixtures picked for comparison, kept for the browser tab (sessionStorage) so that a
// selection survives paging through the list and visits to a mixture's page.
import { compareUrl } from "./mixtures_lib.js";

const KEY = "cryoprotect.compare";
export const MAX_COMPARE = 10;

function store() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the selection lasts as long as the page
  }
}

let memory = [];

/** The selection: [{id, name}] in the order picked. */
export function selected() {
  const s = store();
  if (!s) return memory;
  try {
    const value = JSON.parse(s.getItem(KEY) || "[]");
    return Array.isArray(value) ? value.filter((x) => x && typeof x.id === "string") : [];
  } catch {
    return [];
  }
}

function save(list) {
  memory = list;
  store()?.setItem(KEY, JSON.stringify(list));
}

/** Add or remove one mixture; returns false when the selection is already full. */
export function toggle(id, name, on) {
  const list = selected().filter((x) => x.id !== id);
  if (on) {
    if (list.length >= MAX_COMPARE) return false;
    list.push({ id, name });
  }
  save(list);
  return true;
}

export function clear() {
  save([]);
}

/** The compare page for the selection, or null with fewer than two picked. */
export function selectionUrl() {
  const list = selected();
  return list.length >= 2 ? compareUrl(list.map((x) => x.id)) : null;
}
