"""docs/debug-abi.md lists every entry of the debug table in the order and
at the offset include/rgc_debug.h gives it: the document is a contract a
reader is written from, so it must not drift from the header."""
import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_table_names import header_entry_names  # noqa: E402  (the header's own parser)


def header_entries():
    with open(os.path.join(ROOT, "include", "rgc_debug.h")) as f:
        return header_entry_names(f.read())


def read_doc():
    with open(os.path.join(ROOT, "docs", "debug-abi.md")) as f:
        return f.read()


def doc_entries():
    doc = read_doc()
    return [(int(m.group(1)), m.group(2))
            for m in re.finditer(r"^\| (\d+) \| `([a-z0-9_]+)` \|", doc, re.M)]


class AbiDocTest(unittest.TestCase):
    def test_the_document_lists_every_entry_at_its_offset(self):
        names = header_entries()
        self.assertGreater(len(names), 200)
        self.assertEqual(doc_entries(), [(24 + 8 * i, n) for i, n in enumerate(names)])

    def test_the_document_states_the_table_size_of_this_release(self):
        doc = read_doc()
        size = 24 + 8 * len(header_entries())
        self.assertIn("(%d in the first release of version 2" % size, doc)


if __name__ == "__main__":
    unittest.main()
