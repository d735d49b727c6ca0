"""The client-side search index: what the browser's search looks through, built from the view
models, in fragments so that a query fetches only what it needs (Pagefind's design, measured in
bench/search_bench.py).

- `routes.SEARCH_INDEX`, the manifest: how many records, fragments of each kind.
- `search_fragment("w", n)`: the inverted index, the words in order (of UTF-16 code units, as
  the script compares them) cut into `word_fragments` ranges of about the same size; the
  manifest lists each range's first word, so a word typed so far finds the fragments of every
  word it begins. Each word lists the records it occurs in: (record id minus the one before,
  where it occurs (`FIELDS`; in a title also whether it is the title's first word and how many
  words the title has, `TITLE_WORDS`), the section of the page it first occurs in), flattened.
  So the script ranks "a title that is the query, or begins with it" before it fetches a record.
- `search_fragment("r", n)`: records `n * CHUNK` onwards, what a result shows (title, where it
  goes, a line of text, a status and what to use instead; an offering's description or a tool's
  whole reason as `d`).
- `search_fragment("t", id)`: a policy page's text, section by section (heading, anchor, text),
  for the lines around a word found in it.

URLs are site paths ("offerings/ci/"); the script makes them relative to the page it runs on.
Words are the text lower-cased, accents dropped, split at anything not a letter or a digit; a
page's text skips the small words of `STOP` (its title keeps them).

The stages, each a module, each importing only those below it (import-linter holds them so):

- `files`: the index's files in order (`index_files`, the orchestrator), each carried from the
  last index of the process where what it is made of is the same;
- `fragments`: the words fragments, made from the last index's state where there is one;
- `runs` (the records in runs, as the store keeps their postings), `spill` (a cold build's
  files in a temporary file), `postings` (where each word of a record occurs);
- `records`: what each record says, its JSON text and its key;
- `carried`: what one index leaves for the next: the state the store holds, the words as the
  next starts from them, and `serve`'s memory of the whole;
- `text`: text as the index and the script read it (words, excerpts, a page's sections).

`a_to_z` (the A to Z list of the search page, for readers without JavaScript) stands apart.
"""

from servicebook.site.search.a_to_z import IndexEntry, a_to_z
from servicebook.site.search.carried import IndexWords, SearchMemory
from servicebook.site.search.files import IndexFile, index_files, search_files, search_index, text_files
from servicebook.site.search.postings import (
    merged_postings,
    page_parts,
    record_postings,
    section_postings,
    spooled_parts,
)
from servicebook.site.search.records import KIND_LABELS, search_records
from servicebook.site.search.text import FIELDS, STOP, TITLE_WORDS, excerpt, page_sections, words

__all__ = [
    "FIELDS",
    "KIND_LABELS",
    "STOP",
    "TITLE_WORDS",
    "IndexEntry",
    "IndexFile",
    "IndexWords",
    "SearchMemory",
    "a_to_z",
    "excerpt",
    "index_files",
    "merged_postings",
    "page_parts",
    "page_sections",
    "record_postings",
    "search_files",
    "search_index",
    "search_records",
    "section_postings",
    "spooled_parts",
    "text_files",
    "words",
]
