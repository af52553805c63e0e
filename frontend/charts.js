// Draw a figure the server built (GET /api/v1/charts/...) with plotly.js from /vendor.
import { api } from "./api.js";
import { lang, plotlySeparators } from "./i18n.js";
import { errorBox, h, loading } from "./ui.js";

function whenPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (window.Plotly) { clearInterval(poll); resolve(window.Plotly); }
      else if (Date.now() - started > 15000) { clearInterval(poll); reject(new Error("plotly.js did not load")); }
    }, 50);
  });
}

// A chart container that shows a loading state, then the figure or the error.
// Returns {el, ready} where ready resolves when drawn (or failed).
// `wide`: the figure keeps a minimum width and scrolls sideways on a phone (the heatmap).
export function chart(path, { name = "chart", label = "", onClick, wide = false } = {}) {
  const plot = h("div", { class: "plot", role: "img", "aria-label": label || name });
  const el = h("div", { class: wide ? "chart wide" : "chart", dataset: { chart: name } }, loading());
  const sep = path.includes("?") ? "&" : "?";
  const ready = (async () => {
    try {
      const [fig, Plotly] = await Promise.all([api(`${path}${sep}lang=${lang()}`), whenPlotly()]);
      el.replaceChildren(plot);
      const layout = { ...fig.layout, separators: plotlySeparators(), autosize: true };
      await Plotly.newPlot(plot, fig.data, layout, {
        responsive: true, displaylogo: false,  // the modebar (PNG download) shows on hover or tap
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
        toImageButtonOptions: { filename: name, format: "png", scale: 2 },
      });
      if (onClick) plot.on("plotly_click", onClick);
      el.dataset.state = "drawn";
    } catch (err) {
      el.replaceChildren(errorBox(err));
      el.dataset.state = "error";
    }
  })();
  return { el, ready };
}
