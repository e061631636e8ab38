//! The SVG bar chart of corio's ratio to the best peer, one bar per row,
//! with the target (1.00) and stretch (0.80) lines.

use std::path::Path;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::table::Row;

const GREEN: RGBColor = RGBColor(46, 139, 87);
const RED_BAR: RGBColor = RGBColor(205, 60, 60);

pub fn write(path: &Path, rows: &[Row], title: &str) -> Result<(), Box<dyn std::error::Error>> {
    let n = rows.len() as u32;
    let top = rows.iter().filter_map(Row::ratio).fold(1.25_f64, |m, r| m.max(r * 1.12));
    let root = SVGBackend::new(path, (120 + 95 * n.max(4), 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(60)
        .y_label_area_size(50)
        // `a..b` makes one segment per value of `a..=b`: one per row.
        .build_cartesian_2d((0..n.max(2) - 1).into_segmented(), 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .y_desc("corio median / best peer median")
        .x_labels(n as usize)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => rows.get(*i as usize).map_or(String::new(), |r| r.name.to_string()),
            _ => String::new(),
        })
        .x_label_style(("sans-serif", 12))
        .draw()?;
    let label_style = ("sans-serif", 13).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Bottom));
    for (i, row) in rows.iter().enumerate() {
        let i = i as u32;
        let Some(ratio) = row.ratio() else {
            let at = (SegmentValue::CenterOf(i), 0.05 * top);
            chart.draw_series([Text::new("n/a", at, label_style.clone())])?;
            continue;
        };
        let color = if ratio <= 1.0 { GREEN } else { RED_BAR };
        let bar = Rectangle::new([(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), ratio)], color.filled());
        let mut bar = bar;
        bar.set_margin(0, 0, 12, 12);
        chart.draw_series([bar])?;
        let label = (SegmentValue::CenterOf(i), ratio + 0.02 * top);
        chart.draw_series([Text::new(format!("{ratio:.2}"), label, label_style.clone())])?;
    }
    for (level, style) in [(1.0, BLACK.stroke_width(2)), (0.8, BLACK.mix(0.4).stroke_width(1))] {
        let line = [(SegmentValue::Exact(0), level), (SegmentValue::Last, level)];
        chart.draw_series([PathElement::new(line, style)])?;
    }
    root.present()?;
    Ok(())
}
