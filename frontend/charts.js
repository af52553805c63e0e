// Draw a figure the server built (GET /api/v1/charts/...) with plotly.js, loaded on the first chart drawn.
import { api } from "./api.js";
import { lang, plotlySeparators, t } from "./i18n.js";
import { errorBox, h, loading } from "./ui.js";

// plotly.js is big: the page never loads it (the shell and the sign-in form do not wait for it). The first
// chart() inserts one <script> for it, from the versioned URL index.html names (app/delivery.py); every chart
// shares that promise. If it fails, the charts waiting show an error and the next chart tries again.
let plotly = null;

export function whenPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotly) {
    plotly = new Promise((resolve, reject) => {
      const src = document.querySelector('meta[name="plotly-src"]')?.content || "/vendor/plotly.min.js";
      const script = h("script", { src, async: true, dataset: { plotly: "" } });
      const fail = () => {
        script.remove();
        plotly = null;
        reject(new Error(t("chart.plotlyFailed")));
      };
      // a download that stalls (a phone's connection) fails after a minute too, so the charts say so and
      // the next one tries again, rather than loading for ever
      const stalled = setTimeout(fail, 60000);
      script.addEventListener("load", () => { clearTimeout(stalled); if (window.Plotly) resolve(window.Plotly); else fail(); });
      script.addEventListener("error", () => { clearTimeout(stalled); fail(); });
      document.head.append(script);
    });
  }
  return plotly;
}

// A chart container that shows a loading state, then the figure or the error.
// Returns {el, ready} where ready resolves when drawn (or failed).
// `wide`: the figure keeps a minimum width and scrolls sideways on a phone (the heatmap).
export function chart(path, { name = "chart", label = "", onClick, wide = false } = {}) {
  // a figure, not an image: an image's content is presentational, and plotly's modebar holds buttons
  // (axe: nested-interactive)
  const plot = h("div", { class: "plot", role: "figure", "aria-label": label || name });
  const el = h("div", { class: wide ? "chart wide" : "chart", dataset: { chart: name } }, loading());
  const sep = path.includes("?") ? "&" : "?";
  const ready = (async () => {
    try {
      const [fig, Plotly] = await Promise.all([api(`${path}${sep}lang=${lang()}`), whenPlotly()]);
      el.replaceChildren(plot);
      const layout = { ...fig.layout, separators: plotlySeparators(), autosize: true };
      await Plotly.newPlot(plot, fig.data, layout, {
        responsive: true, displaylogo: false,  // the modebar (PNG download) shows on hover or tap
        // plotly.js 4 offers "Share chart..." by default, which uploads the figure to cloud.plotly.com:
        // our figures never leave the app
        showSendToCloud: false, plotlyServerURL: "",
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "sendChartToCloud"],
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
