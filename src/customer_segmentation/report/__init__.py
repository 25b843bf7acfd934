"""The segment report: one self-contained HTML page from the tables of a built warehouse.

The public names, by module (imported on first use, see customer_segmentation._exports):

- page: write_report (the page of a warehouse), read_sections, build_sections, render_html and
  SECTIONS (every section in page order);
- command: main, the `customer-segmentation report` command.

The modules, by concern: data (reading the warehouse), figures (what a section is made of and
how it looks), segment_sections and outcome_sections (one builder per section), page (the
sections in order and the HTML), command (the CLI).
"""

from customer_segmentation._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "page": ("SECTIONS", "build_sections", "read_sections", "render_html", "write_report"),
        "command": ("main",),
    },
)
