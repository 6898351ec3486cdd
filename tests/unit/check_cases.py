#!/usr/bin/python3
"""Every ctest unit case names a cmocka case, and every cmocka case is registered.

  check_cases.py tests/unit/*.cmake

Reads each ff_unit_test(NAME n SOURCES ... CASES ...) call in the given cmake
files and the cmocka_unit_test*(name, ...) entries of its test_*.c sources
(looked up next to the cmake file). A case listed in CASES but absent from the
source would run nothing; a case in the source but absent from CASES would
never run under ctest; a test_*.c file that no call builds would never run at
all. Exit status: 0 when everything agrees, 1 otherwise, 2 on unreadable
input. Standard library only.
"""

import os
import re
import sys

CALL = re.compile(r"\bff_unit_test\s*\((.*?)\)", re.S)
KEYWORDS = ("NAME", "SOURCES", "LIBS", "CASES")
CMOCKA_CASE = re.compile(r"\bcmocka_unit_test\w*\s*\(\s*(\w+)")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def calls_of(cmake_path):
    """Yields (name, [source basenames], [cases]) per ff_unit_test call."""
    with open(cmake_path) as f:
        text = re.sub(r"#[^\n]*", "", f.read())
    for m in CALL.finditer(text):
        args = {k: [] for k in KEYWORDS}
        key = None
        for tok in m.group(1).split():
            if tok in KEYWORDS:
                key = tok
            elif key is not None:
                args[key].append(tok)
        name = args["NAME"][0] if args["NAME"] else "?"
        sources = [os.path.basename(s) for s in args["SOURCES"] if s.endswith(".c")]
        yield name, sources, args["CASES"]


def cmocka_cases(path):
    with open(path) as f:
        return CMOCKA_CASE.findall(COMMENT.sub("", f.read()))


def check(cmake_path, registered):
    problems = []
    unit_dir = os.path.dirname(os.path.abspath(cmake_path))
    for name, sources, cases in calls_of(cmake_path):
        in_source = []
        registered.update(os.path.join(unit_dir, s) for s in sources)
        for s in sources:
            in_source += cmocka_cases(os.path.join(unit_dir, s))
        label = "%s: unit.%s" % (os.path.basename(cmake_path), name)
        if not cases:
            problems.append("%s: no CASES" % label)
        for c in cases:
            if c not in in_source:
                problems.append("%s: case %s is not a cmocka case in %s" %
                                (label, c, " ".join(sources)))
        for c in in_source:
            if c not in cases:
                problems.append("%s: cmocka case %s is not in CASES" % (label, c))
        for c in set(cases):
            if cases.count(c) > 1:
                problems.append("%s: case %s listed %d times" % (label, c, cases.count(c)))
    return problems


def main(argv):
    if not argv:
        print(__doc__.split("\n\n")[1].strip(), file=sys.stderr)
        return 2
    problems = []
    registered = set()
    try:
        for path in argv:
            problems += check(path, registered)
    except OSError as exc:
        print("check_cases: %s: %s" % (exc.filename, exc.strerror), file=sys.stderr)
        return 2
    # A test file no ff_unit_test builds is never run at all.
    for d in {os.path.dirname(os.path.abspath(p)) for p in argv}:
        for f in sorted(os.listdir(d)):
            if re.fullmatch(r"test_\w+\.c", f) and os.path.join(d, f) not in registered:
                problems.append("%s: in no ff_unit_test" % f)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
