"""The reader's list of version 2 entries is the header's, name for name, in order.

The names come from the RGC_DEBUG_ENTRIES X-macro of include/rgc_debug.h:
S(name, ...) gives sizeof_<name>; F(name, ctype, entry, member) gives
<name>_<entry>; K(entry, ...) and A(entry, ...) give <entry>.
"""

import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "plugins"))

from rgc import table  # noqa: E402

HEADER = os.path.join(ROOT, "include", "rgc_debug.h")


def macro_body(src, name):
    """The body of a multi-line #define, comments removed."""
    start = src.index("#define %s(" % name)
    lines = []
    for line in src[start:].splitlines():
        stripped = line.rstrip()
        lines.append(stripped[:-1] if stripped.endswith("\\") else stripped)
        if not stripped.endswith("\\"):
            break
    body = "\n".join(lines)
    body = body[body.index(")") + 1:]  # past the parameter list
    return re.sub(r"/\*.*?\*/", " ", body, flags=re.S)


def calls(body):
    """[(macro, [arguments])] of the S/F/K/A invocations at the top level,
    arguments split at top-level commas (they may hold parentheses)."""
    out = []
    pos = 0
    pattern = re.compile(r"\b([SFKA])\s*\(")
    while True:
        m = pattern.search(body, pos)
        if not m:
            return out
        depth = 1
        i = m.end()
        args, cur = [], []
        while depth:
            c = body[i]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    break
            if c == "," and depth == 1:
                args.append("".join(cur).strip())
                cur = []
            else:
                cur.append(c)
            i += 1
        args.append("".join(cur).strip())
        out.append((m.group(1), args))
        pos = i + 1


def header_entry_names(src):
    names = []
    for kind, args in calls(macro_body(src, "RGC_DEBUG_ENTRIES")):
        if kind == "S":
            names.append("sizeof_" + args[0])
        elif kind == "F":
            names.append(args[0] + "_" + args[2])
        else:
            names.append(args[0])
    return names


class TestEntryNames(unittest.TestCase):
    def setUp(self):
        with open(HEADER) as f:
            self.src = f.read()

    def test_same_names_in_the_same_order(self):
        names = header_entry_names(self.src)
        self.assertGreater(len(names), 100)
        if names != table.ENTRY_NAMES:
            for i, (a, b) in enumerate(zip(names, table.ENTRY_NAMES)):
                if a != b:
                    self.fail("entry %d: the header has %s, the reader %s" % (i, a, b))
            self.fail("the header has %d entries, the reader %d" % (len(names), len(table.ENTRY_NAMES)))

    def test_kinds_match(self):
        kinds = [k for k, _ in calls(macro_body(self.src, "RGC_DEBUG_ENTRIES"))]
        self.assertEqual(kinds, [e[1] for e in table.ENTRIES])

    def test_fields_belong_to_their_struct(self):
        for name, kind, struct_name, _width in table.ENTRIES:
            if kind in ("S", "F"):
                self.assertIsNotNone(struct_name, name)
                self.assertTrue(name.startswith(struct_name + "_") or name == "sizeof_" + struct_name, name)

    def test_header_constants(self):
        cookie = re.search(r'#define RGC_DEBUG_COOKIE "([^"]*)"', self.src).group(1)
        self.assertEqual(cookie.encode().decode("unicode_escape").encode("latin-1"), table.COOKIE)
        self.assertEqual(int(re.search(r"#define RGC_DEBUG_VERSION (\d+)u", self.src).group(1)), table.VERSION)
        self.assertEqual(int(re.search(r"#define RGC_DEBUG_HEADER_SIZE (\d+)u", self.src).group(1)),
                         table.HEADER_SIZE)
        self.assertIn('#define RGC_DEBUG_SECTION "%s"' % table.SECTION, self.src)
        self.assertIn('#define RGC_DEBUG_SYMBOL "%s"' % table.SYMBOL, self.src)

    def test_parser_reads_nested_parentheses(self):
        body = "S(a, t) F(b, t, c, d.e) K(f, sizeof(((x *)0)->y)) A(g, (const void *)h)"
        self.assertEqual(calls(body), [("S", ["a", "t"]), ("F", ["b", "t", "c", "d.e"]),
                                       ("K", ["f", "sizeof(((x *)0)->y)"]), ("A", ["g", "(const void *)h"])])


if __name__ == "__main__":
    unittest.main()
