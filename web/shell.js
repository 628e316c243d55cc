// The dashboard's shell, shared by its pages: where a page renders, and what it refreshes when the
// node's tip or pending pool changes (web/app.js polls GET /tip and calls shell.onTip; each page sets
// it, or leaves it null when it does not follow new blocks).

export const shell = { onTip: null };

export function render(html) { document.getElementById("view").innerHTML = html; }

export const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
