//! The screens in colour, in both palettes and at two sizes, through the
//! harness on the demo repository: snapshots of every cell's style
//! (`Harness::styled_screen`), and `NO_COLOR` plain.

mod support;

use plandeck::tui::harness::Harness;
use plandeck::tui::{Palette, Theme};
use std::path::Path;

fn harness(dir: &Path, size: (u16, u16), palette: Palette, color: bool) -> Harness {
    let mut h = support::tui::demo_harness(dir, None, size);
    h.theme = Theme::with_palette(palette, color);
    h
}

/// The screen with the temporary directory's path written `[dir]`.
fn redacted(screen: String, dir: &Path) -> String {
    screen.replace(&dir.display().to_string(), "[dir]")
}

fn name(palette: Palette) -> &'static str {
    match palette {
        Palette::Dark => "dark",
        Palette::Light => "light",
    }
}

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];

#[test]
fn the_request_list_with_its_preview_in_both_palettes_and_sizes() {
    let dir = tempfile::tempdir().expect("tempdir");
    for palette in [Palette::Dark, Palette::Light] {
        for size in SIZES {
            let mut h = harness(dir.path(), size, palette, true);
            // request/103: a critical delete, shown in the preview.
            h.press("j j");
            let styled = redacted(h.styled_screen(), dir.path());
            assert!(
                styled.contains("Preview") && styled.contains("aws_s3_bucket.legacy_exports"),
                "{styled}"
            );
            insta::assert_snapshot!(
                format!("list_preview_{}_{}x{}", name(palette), size.0, size.1),
                styled
            );
        }
    }
}

#[test]
fn the_plan_view_with_its_outline_on_a_plan_of_every_action_in_both_palettes_and_sizes() {
    for palette in [Palette::Dark, Palette::Light] {
        for size in SIZES {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut h = support::tui::generated_plan_harness(dir.path(), 40, size);
            h.theme = Theme::with_palette(palette, true);
            h.press("<Enter> <Tab> j");
            let plain = h.screen();
            assert!(plain.contains(" Outline "), "{plain}");
            if size.1 >= 60 {
                for symbol in ["  + ", "  ~ ", "  - ", "-/+", "+/-", " <= "] {
                    assert!(
                        plain.contains(symbol),
                        "{symbol:?} in the outline:\n{plain}"
                    );
                }
            }
            let styled = redacted(h.styled_screen(), dir.path());
            insta::assert_snapshot!(
                format!("plan_outline_{}_{}x{}", name(palette), size.0, size.1),
                styled
            );
        }
    }
}

#[test]
fn no_color_is_plain_in_both_palettes() {
    let dir = tempfile::tempdir().expect("tempdir");
    for palette in [Palette::Dark, Palette::Light] {
        let mut h = harness(dir.path(), (120, 30), palette, false);
        for keys in ["", "j j <Enter>", "?"] {
            h.press(keys);
            let styled = h.styled_screen();
            assert!(
                !styled.contains("fg=") && !styled.contains("bg="),
                "{keys}: a colour without colour:\n{styled}"
            );
            assert!(
                styled.contains("REVERSED"),
                "the selection still shows:\n{styled}"
            );
        }
    }
}
