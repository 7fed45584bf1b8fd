// Download buttons (issue 18), the pure part: the export URL of a format, with the list's
// filters where the page's address carries them (download.js saves the file).

/** The list filters a list page keeps in its address and the export accepts. */
export const LIST_FILTER_KEYS = ["q", "visibility", "molecule_class", "kind", "sort", "mw_min", "mw_max", "clogp_min", "clogp_max", "tpsa_min", "tpsa_max", "hbd_min", "hbd_max", "hba_min", "hba_max"];

/**
 * The export URL: ``base?format=<format>``, plus the filters of ``search`` (the page's
 * ``location.search``) when ``withFilters`` (a list export: the same rows as the list).
 */
export function exportUrl(base, format, { search = "", withFilters = false } = {}) {
  const params = new URLSearchParams({ format });
  if (withFilters) {
    const given = new URLSearchParams(search);
    for (const key of LIST_FILTER_KEYS) {
      const value = given.get(key);
      if (value !== null && value !== "") params.set(key, value);
    }
  }
  return `${base}?${params}`;
}
