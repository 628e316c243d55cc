"""mkdocs hook: serve bench/results (outside docs/) as bench-results/ on the site.

The pages link ../bench/results/... so that the same links work when the markdown is read on the
repository; this hook adds those files to the build and rewrites the links to where they land.
"""
from pathlib import Path

from mkdocs.structure.files import File

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"


def on_files(files, config):
    for path in sorted(RESULTS.glob("*")):
        if path.suffix in (".png", ".md", ".json"):
            files.append(File.generated(config, f"bench-results/{path.name}", abs_src_path=str(path)))
    return files


def on_page_markdown(markdown, page, config, files):
    return markdown.replace("](../bench/results/", "](bench-results/")
