#include "bench/harness/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace switchboard::bench {

namespace {

constexpr double width = 900, height = 360, left = 70, right = 45, top = 40,
                 bottom = 50;
const char* const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A round step for an axis up to `max` in about 5 ticks.
double tick_step(double max) {
  if (max <= 0) return 1;
  double raw = max / 5, mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

std::string label(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

struct series {
  std::string name;
  std::vector<std::pair<double, double>> points;
};

// One panel at vertical offset `y0`: axes, ticks, a polyline per series
// and a legend. `xlabels` names x ticks (value, text).
void panel(std::ostringstream& svg, double y0, const std::string& title,
           const std::string& ylabel,
           const std::vector<std::pair<double, std::string>>& xlabels,
           double xmax, const std::vector<series>& all) {
  double ymax = 0;
  for (auto& s : all)
    for (auto& [x, y] : s.points) ymax = std::max(ymax, y);
  auto step = tick_step(ymax);
  ymax = std::max(step, std::ceil(ymax / step) * step);
  double w = width - left - right, h = height - top - bottom;
  auto px = [&](double x) { return left + (xmax > 0 ? x / xmax : 0) * w; };
  auto py = [&](double y) { return y0 + top + h - y / ymax * h; };
  svg << "<text x=\"" << left << "\" y=\"" << y0 + 24
      << "\" font-size=\"16\" font-weight=\"bold\">" << title << "</text>\n";
  svg << "<rect x=\"" << left << "\" y=\"" << y0 + top << "\" width=\"" << w
      << "\" height=\"" << h << "\" fill=\"none\" stroke=\"#888\"/>\n";
  for (double y = 0; y <= ymax + step / 2; y += step) {
    svg << "<line x1=\"" << left << "\" x2=\"" << left + w << "\" y1=\""
        << fmt(py(y)) << "\" y2=\"" << fmt(py(y))
        << "\" stroke=\"#eee\"/>\n<text x=\"" << left - 6 << "\" y=\""
        << fmt(py(y) + 4) << "\" font-size=\"11\" text-anchor=\"end\">"
        << label(y) << "</text>\n";
  }
  for (auto& [x, text] : xlabels)
    svg << "<line x1=\"" << fmt(px(x)) << "\" x2=\"" << fmt(px(x)) << "\" y1=\""
        << y0 + top << "\" y2=\"" << y0 + top + h
        << "\" stroke=\"#eee\"/>\n<text x=\"" << fmt(px(x)) << "\" y=\""
        << y0 + top + h + 16 << "\" font-size=\"11\" text-anchor=\"middle\">"
        << text << "</text>\n";
  svg << "<text x=\"16\" y=\"" << fmt(y0 + top + h / 2)
      << "\" font-size=\"12\" transform=\"rotate(-90 16 "
      << fmt(y0 + top + h / 2) << ")\" text-anchor=\"middle\">" << ylabel
      << "</text>\n";
  std::size_t i = 0;
  for (auto& s : all) {
    auto* colour = colours[i % 4];
    svg << "<polyline fill=\"none\" stroke=\"" << colour
        << "\" stroke-width=\"2\" points=\"";
    for (auto& [x, y] : s.points) svg << fmt(px(x)) << "," << fmt(py(y)) << " ";
    svg << "\"/>\n<text x=\"" << left + 10 << "\" y=\""
        << y0 + top + 16 + 16 * static_cast<double>(i)
        << "\" font-size=\"12\" fill=\"" << colour << "\">" << s.name
        << "</text>\n";
    ++i;
  }
}

}  // namespace

std::vector<std::pair<double, double>> percentile_curve(const histogram& h,
                                                        int nines, int steps) {
  std::vector<std::pair<double, double>> out;
  if (h.count() == 0) return out;
  for (int k = 0; k <= nines * steps; ++k) {
    double x = static_cast<double>(k) / steps;
    double p = 100 * (1 - std::pow(10, -x));
    out.emplace_back(x, static_cast<double>(h.percentile(p)) / 1e6);
  }
  return out;
}

std::string plot_svg(const results& r) {
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
      << "\" height=\"" << 2 * height
      << "\" font-family=\"sans-serif\">\n<rect width=\"100%\" "
         "height=\"100%\" fill=\"white\"/>\n";
  std::vector<series> latency;
  std::pair<const char*, const histogram*> hs[] = {
      {"send -> sent", &r.send_to_sent},
      {"send -> received", &r.send_to_received},
      {"send -> delivered (ack)", &r.send_to_delivered},
      {"handshake", &r.handshake}};
  for (auto& [name, h] : hs)
    if (h->count() > 0) latency.push_back({name, percentile_curve(*h)});
  std::vector<std::pair<double, std::string>> pct = {
      {0, "0%"},    {1, "90%"},    {2, "99%"},
      {3, "99.9%"}, {4, "99.99%"}, {5, "99.999%"}};
  panel(svg, 0,
        r.scenario + ": latency by percentile (" +
            std::to_string(r.connections) + " connections)",
        "ms", pct, 5, latency);
  std::vector<series> rate(2);
  rate[0].name = "acked / s";
  rate[1].name = "received / s";
  double tmax = 1;
  for (std::size_t i = 0; i < r.per_second.size(); ++i) {
    double t = static_cast<double>(i + 1);
    rate[0].points.emplace_back(t, static_cast<double>(r.per_second[i].acked));
    rate[1].points.emplace_back(t,
                                static_cast<double>(r.per_second[i].received));
    tmax = t;
  }
  std::vector<std::pair<double, std::string>> secs;
  auto step = tick_step(tmax);
  for (double t = 0; t <= tmax + step / 2; t += step)
    secs.emplace_back(t, label(t) + " s");
  panel(svg, height, "messages per second over the run", "messages / s", secs,
        tmax, rate);
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace switchboard::bench
