// Pure timing helpers shared by the pages' live forms (no DOM): debounced calls and
// "latest answer only" tickets for overlapping requests. Unit-tested in tests/js/.

/** Call ``fn`` only after ``ms`` milliseconds without a new call (live validation and previews). */
export function debounce(fn, ms) {
  let timer = null;
  const debounced = (...args) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
  debounced.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return debounced;
}

/** Tickets for overlapping requests: only the answer to the latest one is used. */
export function latestOnly() {
  let counter = 0;
  return { next: () => ++counter, isCurrent: (ticket) => ticket === counter };
}
