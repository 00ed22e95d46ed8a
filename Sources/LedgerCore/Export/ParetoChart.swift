/// Draws the Pareto rows as an SVG scatter chart: blended cost against latency.
///
/// Each ledger row with both a price and a runtime latency is a circle whose area grows with its
/// quality component. Frontier rows are filled orange with a dark outline and dominated rows grey.
/// Rows at the same point, such as several source models mapped to one priced model, get one
/// label, `provider/model`, with the number of source models when there are several. The
/// output depends only on the rows, so the same rows give the same bytes.
public enum ParetoChart {
    /// The chart's file name.
    public static let fileName = "pareto.svg"
    /// The canvas width in pixels.
    public static let width = 960.0
    /// The canvas height in pixels.
    public static let height = 640.0

    private static let plotLeft = 90.0
    private static let plotRight = 760.0
    private static let plotTop = 60.0
    private static let plotBottom = 560.0

    /// Renders the chart.
    public static func svg(_ rows: [ParetoExtendedRow]) -> String {
        let points = rows.compactMap { row -> Point? in
            guard let cost = row.pareto.blendedCostUSDPerMTok, let latency = row.pareto.runtimeLatencyMilliseconds
            else { return nil }
            return Point(row: row, cost: cost, latency: latency)
        }
        let xAxis = Axis(maximum: points.map(\.cost).max() ?? 1)
        let yAxis = Axis(maximum: points.map(\.latency).max() ?? 1)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(format(width, 0))" height="\(format(height, 0))" \
            viewBox="0 0 \(format(width, 0)) \(format(height, 0))" font-family="DejaVu Sans, sans-serif">

            """
        svg +=
            "<rect x=\"0\" y=\"0\" width=\"\(format(width, 0))\" height=\"\(format(height, 0))\" fill=\"#ffffff\"/>\n"
        svg += text(
            "Model cost and latency (area: quality; orange: Pareto frontier)", x: width / 2, y: 32, size: 18,
            anchor: "middle", weight: "bold")
        svg += axes(xAxis: xAxis, yAxis: yAxis)
        if points.isEmpty {
            svg += text(
                "No model has both a price and a runtime latency yet.", x: (plotLeft + plotRight) / 2,
                y: (plotTop + plotBottom) / 2, size: 16, anchor: "middle")
        }
        let ordered = points.sorted {
            ($0.row.isFrontier ? 1 : 0, -$0.radius) < ($1.row.isFrontier ? 1 : 0, -$1.radius)
        }
        for point in ordered {
            let x = xAxis.position(point.cost, from: plotLeft, to: plotRight)
            let y = yAxis.position(point.latency, from: plotBottom, to: plotTop)
            let fill = point.row.isFrontier ? "#f28e2b" : "#bab0ac"
            let stroke = point.row.isFrontier ? "#7a3d00" : "#6b6b6b"
            svg += "<circle cx=\"\(format(x, 2))\" cy=\"\(format(y, 2))\" r=\"\(format(point.radius, 2))\" "
            svg += "fill=\"\(fill)\" fill-opacity=\"0.75\" stroke=\"\(stroke)\" stroke-width=\"1.5\"/>\n"
        }
        svg += labels(points, xAxis: xAxis, yAxis: yAxis)
        svg += legend()
        svg += "</svg>\n"
        return svg
    }

    private struct Point {
        var row: ParetoExtendedRow
        var cost: Double
        var latency: Double
        /// 4 px for quality 0, 20 px for quality 1, the area growing linearly with quality.
        var radius: Double { (16 + 384 * max(0, min(1, row.pareto.qualityComponent))).squareRoot() }
    }

    /// A linear axis from 0 to a round maximum, with five to ten ticks.
    private struct Axis {
        var step: Double
        var top: Double

        init(maximum: Double) {
            let target = max(maximum, 0.000_001) / 5
            var magnitude = 1.0
            while magnitude * 10 <= target { magnitude *= 10 }
            while magnitude > target { magnitude /= 10 }
            let residual = target / magnitude
            var factor = 10.0
            for candidate in [1.0, 2.0, 5.0] where residual <= candidate {
                factor = candidate
                break
            }
            step = factor * magnitude
            top = (max(maximum, 0.000_001) / step).rounded(.up) * step
            if top <= maximum { top += step }
        }

        var ticks: [Double] {
            var values: [Double] = []
            var index = 0.0
            while index * step <= top + step / 1000 {
                values.append(index * step)
                index += 1
            }
            return values
        }

        var decimals: Int {
            var decimals = 0
            var scaled = step
            while decimals < 6, (scaled - scaled.rounded()).magnitude > 0.000_001 {
                scaled *= 10
                decimals += 1
            }
            return decimals
        }

        func position(_ value: Double, from start: Double, to end: Double) -> Double {
            start + (end - start) * value / top
        }
    }

    private static func axes(xAxis: Axis, yAxis: Axis) -> String {
        var svg = "<g stroke=\"#333333\" stroke-width=\"1\">\n"
        svg += line(plotLeft, plotBottom, plotRight, plotBottom) + line(plotLeft, plotBottom, plotLeft, plotTop)
        svg += "</g>\n<g stroke=\"#e5e5e5\" stroke-width=\"1\">\n"
        for tick in xAxis.ticks.dropFirst() {
            let x = xAxis.position(tick, from: plotLeft, to: plotRight)
            svg += line(x, plotBottom, x, plotTop)
        }
        for tick in yAxis.ticks.dropFirst() {
            let y = yAxis.position(tick, from: plotBottom, to: plotTop)
            svg += line(plotLeft, y, plotRight, y)
        }
        svg += "</g>\n"
        for tick in xAxis.ticks {
            let x = xAxis.position(tick, from: plotLeft, to: plotRight)
            svg += text(format(tick, xAxis.decimals), x: x, y: plotBottom + 20, size: 12, anchor: "middle")
        }
        for tick in yAxis.ticks {
            let y = yAxis.position(tick, from: plotBottom, to: plotTop)
            svg += text(format(tick, yAxis.decimals), x: plotLeft - 8, y: y + 4, size: 12, anchor: "end")
        }
        svg += text(
            "Blended cost (USD per million tokens, mean of input and output rates)", x: (plotLeft + plotRight) / 2,
            y: plotBottom + 50, size: 14, anchor: "middle")
        let middle = format((plotTop + plotBottom) / 2, 2)
        svg += "<text x=\"24\" y=\"\(middle)\" font-size=\"14\" text-anchor=\"middle\" "
        svg += "transform=\"rotate(-90 24 \(middle))\">Median latency of succeeded attempts (ms)</text>\n"
        return svg
    }

    private static func labels(_ points: [Point], xAxis: Axis, yAxis: Axis) -> String {
        var groups: [String: (point: Point, count: Int)] = [:]
        var order: [String] = []
        for point in points {
            let key = point.row.pareto.provider + "/" + point.row.pareto.model
            if let group = groups[key] {
                let keeps = group.point.radius >= point.radius
                groups[key] = (keeps ? group.point : point, group.count + 1)
            } else {
                groups[key] = (point, 1)
                order.append(key)
            }
        }
        var svg = ""
        for key in order.sorted(by: { $0.precedesInCodePointOrder($1) }) {
            guard let group = groups[key] else { continue }
            let center = xAxis.position(group.point.cost, from: plotLeft, to: plotRight)
            let y = yAxis.position(group.point.latency, from: plotBottom, to: plotTop) + 4
            let label = key + (group.count > 1 ? " (\(group.count) models)" : "")
            // A label that would run past the plot area (about 7 px per character at 12 px) goes
            // on the left of its circle instead, clear of the legend.
            let fitsRight = center + group.point.radius + 4 + 7 * Double(label.count) <= plotRight
            let x = fitsRight ? center + group.point.radius + 4 : center - group.point.radius - 4
            svg += text(label, x: x, y: y, size: 12, anchor: fitsRight ? "start" : "end")
        }
        return svg
    }

    private static func legend() -> String {
        let x = plotRight + 20
        var svg = text("Legend", x: x, y: plotTop + 10, size: 14, anchor: "start", weight: "bold")
        svg += "<circle cx=\"\(format(x + 10, 2))\" cy=\"\(format(plotTop + 34, 2))\" r=\"8\" fill=\"#f28e2b\" "
        svg += "fill-opacity=\"0.75\" stroke=\"#7a3d00\" stroke-width=\"1.5\"/>\n"
        svg += text("Pareto frontier", x: x + 26, y: plotTop + 39, size: 12, anchor: "start")
        svg += "<circle cx=\"\(format(x + 10, 2))\" cy=\"\(format(plotTop + 60, 2))\" r=\"8\" fill=\"#bab0ac\" "
        svg += "fill-opacity=\"0.75\" stroke=\"#6b6b6b\" stroke-width=\"1.5\"/>\n"
        svg += text("dominated", x: x + 26, y: plotTop + 65, size: 12, anchor: "start")
        svg += text("circle area grows", x: x, y: plotTop + 95, size: 12, anchor: "start")
        svg += text("with quality (0 to 1)", x: x, y: plotTop + 111, size: 12, anchor: "start")
        return svg
    }

    private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> String {
        "<line x1=\"\(format(x1, 2))\" y1=\"\(format(y1, 2))\" x2=\"\(format(x2, 2))\" y2=\"\(format(y2, 2))\"/>\n"
    }

    private static func text(
        _ content: String, x: Double, y: Double, size: Int, anchor: String, weight: String = "normal"
    ) -> String {
        "<text x=\"\(format(x, 2))\" y=\"\(format(y, 2))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\" "
            + "font-weight=\"\(weight)\">\(escape(content))</text>\n"
    }

    /// `value` with exactly `decimals` fraction digits, rounded half away from zero.
    static func format(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded(.toNearestOrAwayFromZero)
        let magnitude = Int64(scaled.magnitude)
        let sign = scaled < 0 ? "-" : ""
        let divisor = Int64(scale)
        guard decimals > 0 else { return sign + String(magnitude) }
        let fraction = String(magnitude % divisor)
        return sign + String(magnitude / divisor) + "." + String(repeating: "0", count: decimals - fraction.count)
            + fraction
    }

    private static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
