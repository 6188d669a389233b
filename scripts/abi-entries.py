#!/usr/bin/env python3
"""abi-entries.py — writes the entry list of docs/debug-abi.md (section 4)
from include/rgc_debug.h's RGC_DEBUG_ENTRIES, and the table size of this
release in section 2.  tests/plugins/test_abi_doc.py checks the result.

    scripts/abi-entries.py          rewrite docs/debug-abi.md in place
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "plugins"))

from test_table_names import calls, macro_body  # noqa: E402  (the header's parser)


def main():
    with open(os.path.join(ROOT, "include", "rgc_debug.h")) as f:
        src = f.read()
    rows, off = [], 24
    for kind, args in calls(macro_body(src, "RGC_DEBUG_ENTRIES")):
        if kind == "S":
            name, what = "sizeof_" + args[0], "sizeof `%s`" % args[1]
        elif kind == "F":
            name, what = args[0] + "_" + args[2], "offset of `%s` in `%s`" % (args[3], args[1])
        elif kind == "K":
            name, what = args[0], "constant: `%s`" % ", ".join(args[1:])
        else:
            name, what = args[0], "address of `%s`" % ", ".join(args[1:]).replace("(const void *)", "")
        rows.append("| %d | `%s` | %s |\n" % (off, name, what.replace("|", "\\|")))
        off += 8
    path = os.path.join(ROOT, "docs", "debug-abi.md")
    with open(path) as f:
        doc = f.read()
    a, b = doc.index("| offset | entry | value |"), doc.index("## 5. The structures")
    doc = doc[:a] + "| offset | entry | value |\n|---|---|---|\n" + "".join(rows) + "\n" + doc[b:]
    doc = re.sub(r"\((\d+) in the first release of version 2", "(%d in the first release of version 2" % off, doc)
    with open(path, "w") as f:
        f.write(doc)


if __name__ == "__main__":
    main()
