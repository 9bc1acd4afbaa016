#!/usr/bin/python3
"""Generates the widget's Unicode property tables (web/src/text/unicode.cpp includes them).

    unicode_tables.py <unicode data dir> <output .inc>

Reads the Unicode Character Database as Debian's unicode-data package installs it
(/usr/share/unicode) and writes C++ arrays for the properties the text core needs:
  - grapheme cluster break (UAX #29) with Extended_Pictographic, and Unicode 15.1's
    Indic_Conjunct_Break Consonant and Linker (derived as 15.1 does: the consonants and viramas
    of the six scripts it names), for GB9c ahead of the 15.0 data,
  - line break class (UAX #14) already resolved by rule LB1, with the one extra bit some
    rules need (East Asian Width for LB30, Mn/Mc for SA marks, unassigned pictographs for
    LB30b),
  - bidi class (UAX #9) with the defaults of unassigned code points,
  - bracket pairs (BidiBrackets.txt) with their canonical equivalents (BD16).
Every property is a list of ranges: a code point's value is that of the last range starting
at or before it. Ranges in the BMP are a uint16 start and a uint8 value (3 bytes each), the
others a uint32 `start << 8 | value`: what every visitor downloads stays small.
Python 3's standard library only; deterministic output.
"""

import os
import re
import sys

MAX = 0x110000

# The orders of the C++ enums in web/src/text/unicode.hpp; the output static_asserts them.
GRAPHEME = ['Other', 'CR', 'LF', 'Control', 'Extend', 'ZWJ', 'Regional_Indicator', 'Prepend',
            'SpacingMark', 'L', 'V', 'T', 'LV', 'LVT']
GRAPHEME_CXX = ['other', 'cr', 'lf', 'control', 'extend', 'zwj', 'regional_indicator', 'prepend',
                'spacing_mark', 'l', 'v', 't', 'lv', 'lvt']
EXTENDED_PICTOGRAPHIC_BIT = 0x10
CONJUNCT_CONSONANT_BIT = 0x20
CONJUNCT_LINKER_BIT = 0x40
CONJUNCT_SCRIPTS = ('Bengali', 'Devanagari', 'Gujarati', 'Oriya', 'Telugu', 'Malayalam')

# Line break classes after LB1 (AI, SG, XX are AL; CJ is NS; SA is CM for Mn and Mc).
LINE_BREAK = ['BK', 'CR', 'LF', 'CM', 'NL', 'WJ', 'ZW', 'GL', 'SP', 'ZWJ', 'B2', 'BA', 'BB',
              'HY', 'CB', 'CL', 'CP', 'EX', 'IN', 'NS', 'OP', 'QU', 'IS', 'NU', 'PO', 'PR', 'SY',
              'AL', 'EB', 'EM', 'H2', 'H3', 'HL', 'ID', 'JL', 'JV', 'JT', 'RI', 'SA']
LINE_BREAK_LB1 = {'AI': 'AL', 'SG': 'AL', 'XX': 'AL', 'CJ': 'NS'}
# One bit whose meaning depends on the class, since no class needs two of them:
#   OP, CP: East_Asian_Width is F, W or H (LB30 does not apply);
#   CM: the character is an SA mark (Mn, Mc), part of a Southeast Asian run;
#   any other: an unassigned Extended_Pictographic code point (LB30b).
LINE_BREAK_FLAG = 0x40

BIDI = ['L', 'R', 'AL', 'EN', 'ES', 'ET', 'AN', 'CS', 'NSM', 'BN', 'B', 'S', 'WS', 'ON', 'LRE',
        'LRO', 'RLE', 'RLO', 'PDF', 'LRI', 'RLI', 'FSI', 'PDI']
BIDI_LONG = {
    'Left_To_Right': 'L', 'Right_To_Left': 'R', 'Arabic_Letter': 'AL',
    'European_Terminator': 'ET', 'Boundary_Neutral': 'BN',
}
# Unassigned code points default to these (the @missing lines of DerivedBidiClass.txt 15.0,
# which UAX #44 documents; Debian ships that file under extracted/, used only to check this).
BIDI_DEFAULTS = [
    (0x0590, 0x05FF, 'R'), (0x0600, 0x07BF, 'AL'), (0x07C0, 0x085F, 'R'),
    (0x0860, 0x08FF, 'AL'), (0x20A0, 0x20CF, 'ET'), (0xFB1D, 0xFB4F, 'R'),
    (0xFB50, 0xFDCF, 'AL'), (0xFDF0, 0xFDFF, 'AL'), (0xFE70, 0xFEFF, 'AL'),
    (0x10800, 0x10CFF, 'R'), (0x10D00, 0x10D3F, 'AL'), (0x10D40, 0x10EBF, 'R'),
    (0x10EC0, 0x10EFF, 'AL'), (0x10F00, 0x10F2F, 'R'), (0x10F30, 0x10F6F, 'AL'),
    (0x10F70, 0x10FFF, 'R'), (0x1E800, 0x1EC6F, 'R'), (0x1EC70, 0x1ECBF, 'AL'),
    (0x1ECC0, 0x1ECFF, 'R'), (0x1ED00, 0x1ED4F, 'AL'), (0x1ED50, 0x1EDFF, 'R'),
    (0x1EE00, 0x1EEFF, 'AL'), (0x1EF00, 0x1EFFF, 'R'),
]


def fail(message):
    sys.exit('unicode_tables.py: ' + message)


def records(path):
    """(first, last, fields) of each data line of a UCD file."""
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(';')]
            first, _, last = fields[0].partition('..')
            first = int(first, 16)
            yield first, int(last, 16) if last else first, fields[1:]


def property_values(path, default, wanted=None):
    """A value per code point from a `range ; value` file (optionally one value only)."""
    values = [default] * MAX
    for first, last, fields in records(path):
        if wanted is not None and fields[0] != wanted:
            continue
        value = True if wanted is not None else fields[0]
        values[first:last + 1] = [value] * (last - first + 1)
    return values


def unicode_data(path):
    """General category and bidi class per code point (None where unassigned), and the
    singleton canonical decompositions."""
    category = [None] * MAX
    bidi = [None] * MAX
    singletons = {}
    range_start = None
    for first, _, fields in records(path):
        name, gc, bc, decomposition = fields[0], fields[1], fields[3], fields[4]
        if name.endswith(', First>'):
            range_start = first
            continue
        start = range_start if name.endswith(', Last>') else first
        range_start = None
        category[start:first + 1] = [gc] * (first + 1 - start)
        bidi[start:first + 1] = [bc] * (first + 1 - start)
        if decomposition and not decomposition.startswith('<') and ' ' not in decomposition:
            singletons[first] = int(decomposition, 16)
    return category, bidi, singletons


def version_of(path):
    with open(path, encoding='utf-8') as f:
        match = re.match(r'# \w+-(\d+\.\d+\.\d+)\.txt', f.readline())
    if not match:
        fail('no version in the first line of ' + path)
    return match.group(1)


def grapheme_table(ucd):
    gcb = property_values(os.path.join(ucd, 'auxiliary/GraphemeBreakProperty.txt'), 'Other')
    pictographic = property_values(os.path.join(ucd, 'emoji/emoji-data.txt'), False,
                                   'Extended_Pictographic')
    script = property_values(os.path.join(ucd, 'Scripts.txt'), None)
    syllabic = property_values(os.path.join(ucd, 'IndicSyllabicCategory.txt'), None)
    index = {name: i for i, name in enumerate(GRAPHEME)}
    values = []
    for cp in range(MAX):
        value = index[gcb[cp]] | (EXTENDED_PICTOGRAPHIC_BIT if pictographic[cp] else 0)
        if script[cp] in CONJUNCT_SCRIPTS:
            if syllabic[cp] == 'Consonant':
                value |= CONJUNCT_CONSONANT_BIT
            elif syllabic[cp] == 'Virama':
                value |= CONJUNCT_LINKER_BIT
        values.append(value)
    return values, pictographic


def line_break_table(ucd, category, pictographic):
    lb = property_values(os.path.join(ucd, 'LineBreak.txt'), 'XX')
    eaw = property_values(os.path.join(ucd, 'EastAsianWidth.txt'), 'N')
    index = {name: i for i, name in enumerate(LINE_BREAK)}
    values = []
    for cp in range(MAX):
        cls = LINE_BREAK_LB1.get(lb[cp], lb[cp])
        flag = False
        if cls == 'SA' and category[cp] in ('Mn', 'Mc'):
            cls, flag = 'CM', True
        elif cls in ('OP', 'CP'):
            flag = eaw[cp] in ('F', 'W', 'H')
        elif cls != 'CM':
            flag = pictographic[cp] and category[cp] is None
        values.append(index[cls] | (LINE_BREAK_FLAG if flag else 0))
    return values


def bidi_table(ucd, assigned_bidi):
    ignorable = property_values(os.path.join(ucd, 'DerivedCoreProperties.txt'), False,
                                'Default_Ignorable_Code_Point')
    noncharacter = property_values(os.path.join(ucd, 'PropList.txt'), False,
                                   'Noncharacter_Code_Point')
    defaults = ['L'] * MAX
    for first, last, value in BIDI_DEFAULTS:
        defaults[first:last + 1] = [value] * (last - first + 1)
    classes = []
    for cp in range(MAX):
        if assigned_bidi[cp] is not None:
            classes.append(assigned_bidi[cp])
        elif ignorable[cp] or noncharacter[cp]:
            classes.append('BN')
        else:
            classes.append(defaults[cp])
    derived = os.path.join(ucd, 'extracted/DerivedBidiClass.txt')
    if os.path.exists(derived):  # a check of the defaults above, where the file is installed
        expected = property_values(derived, 'L')
        with open(derived, encoding='utf-8') as f:  # its defaults, which its data lines override
            missing = [m.groups() for m in re.finditer(
                r'^# @missing: ([0-9A-F]+)\.\.([0-9A-F]+); (\w+)$', f.read(), re.M)]
        listed = property_values(derived, None)
        for first, last, value in missing:
            for cp in range(int(first, 16), int(last, 16) + 1):
                if listed[cp] is None:
                    expected[cp] = value
        for cp in range(MAX):
            if BIDI_LONG.get(expected[cp], expected[cp]) != classes[cp]:
                fail('bidi class of U+%04X: %s here, %s in %s'
                     % (cp, classes[cp], expected[cp], derived))
    index = {name: i for i, name in enumerate(BIDI)}
    return [index[c] for c in classes]


def bracket_tables(ucd, singletons):
    """Bracket code points as `cp << 8 | open << 7 | (opener - cp) & 0x7F` (the id of a pair
    is its opening bracket), and the canonical equivalents among brackets."""
    entries = []
    brackets = set()
    for first, _, fields in records(os.path.join(ucd, 'BidiBrackets.txt')):
        pair, kind = int(fields[0], 16), fields[1]
        if kind not in ('o', 'c'):
            fail('bracket type %r of U+%04X' % (kind, first))
        opener = first if kind == 'o' else pair
        offset = opener - first
        if not -64 <= offset < 64:
            fail('bracket U+%04X is too far from its pair' % first)
        entries.append(first << 8 | (0x80 if kind == 'o' else 0) | (offset & 0x7F))
        brackets.add(first)
    equivalents = sorted((cp, to) for cp, to in singletons.items()
                         if cp in brackets and to in brackets)
    return sorted(entries), equivalents


def ranges(values):
    """(start, value) where the value changes."""
    out = [(0, values[0])]
    for cp in range(1, MAX):
        if values[cp] != values[cp - 1]:
            out.append((cp, values[cp]))
    return out


def numbers(items, per_line, width):
    lines = []
    for i in range(0, len(items), per_line):
        row = items[i:i + per_line]
        lines.append('    ' + ', '.join('0x%0*X' % (width, v) for v in row) + ',')
    return '\n'.join(lines)


def range_table(name, values, comment):
    """The C++ arrays of one property, and their size in bytes."""
    rs = ranges(values)
    bmp = [(s, v) for s, v in rs if s < 0x10000]
    supplementary = [s << 8 | v for s, v in rs if s >= 0x10000]
    size = 3 * len(bmp) + 4 * len(supplementary)
    text = '\n'.join([
        '// %s: %d ranges, %d bytes.' % (comment, len(rs), size),
        'constexpr std::uint16_t %s_bmp_starts[] = {\n%s\n};'
        % (name, numbers([s for s, _ in bmp], 12, 4)),
        'constexpr std::uint8_t %s_bmp_values[] = {\n%s\n};'
        % (name, numbers([v for _, v in bmp], 16, 2)),
        'constexpr std::uint32_t %s_supplementary[] = {\n%s\n};'
        % (name, numbers(supplementary, 8, 8)),
        'constexpr range_table %s_table{%s_bmp_starts, %s_bmp_values, %s_supplementary};'
        % (name, name, name, name),
        '',
    ])
    return text, size


def enum_asserts(enum, names):
    return '\n'.join('static_assert(static_cast<int>(%s::%s) == %d);' % (enum, n, i)
                     for i, n in enumerate(names))


def main():
    if len(sys.argv) != 3:
        fail('usage: unicode_tables.py <unicode data dir> <output>')
    ucd, output = sys.argv[1], sys.argv[2]
    version = version_of(os.path.join(ucd, 'LineBreak.txt'))
    category, assigned_bidi, singletons = unicode_data(os.path.join(ucd, 'UnicodeData.txt'))
    grapheme, pictographic = grapheme_table(ucd)
    line_break = line_break_table(ucd, category, pictographic)
    bidi = bidi_table(ucd, assigned_bidi)
    brackets, equivalents = bracket_tables(ucd, singletons)

    parts = []
    sizes = {}
    for name, values, comment in (
            ('grapheme', grapheme, 'Grapheme_Cluster_Break | 0x10 Extended_Pictographic'
             ' | 0x20 InCB=Consonant | 0x40 InCB=Linker'),
            ('line_break', line_break,
             'Line_Break after LB1 | 0x40 for the flag of line_break_properties'),
            ('bidi', bidi, 'Bidi_Class, unassigned code points as DerivedBidiClass.txt says')):
        text, sizes[name] = range_table(name, values, comment)
        parts.append(text)
    sizes['brackets'] = 4 * len(brackets) + 8 * len(equivalents)
    parts.append('\n'.join([
        '// BidiBrackets.txt: cp << 8 | 0x80 if opening | (opening bracket - cp) & 0x7F.',
        'constexpr std::uint32_t brackets[] = {\n%s\n};' % numbers(brackets, 8, 8),
        '// Canonical equivalents among brackets (BD16 matches them): from, to.',
        'constexpr std::uint32_t bracket_equivalents[][2] = {\n%s\n};'
        % '\n'.join('    {0x%04X, 0x%04X},' % e for e in equivalents),
        '',
    ]))

    header = '\n'.join([
        '// Generated by web/tools/unicode_tables.py from the Unicode Character Database %s.'
        % version,
        '// Do not edit. Included by web/src/text/unicode.cpp, inside its namespace.',
        '// Sizes in bytes: ' + ', '.join('%s %d' % kv for kv in sizes.items())
        + ', total %d.' % sum(sizes.values()),
        '',
        'constexpr char unicode_version_string[] = "%s";' % version,
        enum_asserts('grapheme_break', GRAPHEME_CXX),
        enum_asserts('line_break_class', [c.lower() for c in LINE_BREAK]),
        enum_asserts('bidi_class', [c.lower() for c in BIDI]),
        '',
    ])
    text = header + '\n'.join(parts)
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    temporary = output + '.tmp'
    with open(temporary, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(temporary, output)
    print('Unicode %s tables (bytes): %s' % (
        version, ', '.join('%s %d' % kv for kv in sizes.items())))


if __name__ == '__main__':
    main()
