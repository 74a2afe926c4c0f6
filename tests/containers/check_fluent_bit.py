#!/usr/bin/env python3
"""Static check of docker/fluent-bit/fluent-bit.conf and parsers.conf (Fluent Bit itself
cannot be installed here): sections and keys are well formed, every plugin has a Name, every
parser referenced exists, and each regex parser compiles. With log files as arguments, every
line of them must be either one JSON object (parser spotik_json) or match the nginx_error
regex, i.e. the backend and nginx really log what the pipeline parses.

  check_fluent_bit.py CONF_DIR [LOGFILE...]      exit 1 with "FAILED fluent-bit: ..." on a problem
"""
import json
import os
import re
import sys

SECTIONS = {"SERVICE", "INPUT", "FILTER", "OUTPUT", "PARSER", "MULTILINE_PARSER"}


def parse(path):
    sections, current = [], None
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = re.fullmatch(r"\[([A-Z_]+)\]", line.strip())
            if m:
                if m.group(1) not in SECTIONS:
                    raise ValueError(f"{path}:{n}: unknown section [{m.group(1)}]")
                current = (m.group(1), {}, n)
                sections.append(current)
                continue
            if current is None or not raw[0].isspace():
                raise ValueError(f"{path}:{n}: a key outside a section or not indented: {line!r}")
            parts = line.strip().split(None, 1)
            if len(parts) != 2:
                raise ValueError(f"{path}:{n}: key without a value: {line!r}")
            current[1].setdefault(parts[0].lower(), []).append(parts[1])
    return sections


def main(argv):
    conf_dir = argv[1]
    main_conf = parse(os.path.join(conf_dir, "fluent-bit.conf"))
    parsers = parse(os.path.join(conf_dir, "parsers.conf"))
    names = {}
    for kind, keys, n in parsers:
        if kind != "PARSER" or "name" not in keys or "format" not in keys:
            raise ValueError(f"parsers.conf:{n}: a [PARSER] needs Name and Format")
        names[keys["name"][0]] = keys
        if keys["format"][0] == "regex":
            regex = keys["regex"][0].replace("(?<", "(?P<")
            re.compile(regex)
    service = [k for kind, k, _ in main_conf if kind == "SERVICE"]
    if len(service) != 1 or service[0].get("parsers_file", [""])[0] != "parsers.conf":
        raise ValueError("fluent-bit.conf needs one [SERVICE] with Parsers_File parsers.conf")
    outputs = 0
    for kind, keys, n in main_conf:
        if kind in ("INPUT", "FILTER", "OUTPUT") and "name" not in keys:
            raise ValueError(f"fluent-bit.conf:{n}: [{kind}] without Name")
        if kind in ("FILTER", "OUTPUT") and "match" not in keys:
            raise ValueError(f"fluent-bit.conf:{n}: [{kind}] without Match")
        if keys.get("name", [""])[0] == "kubernetes":
            raise ValueError(f"fluent-bit.conf:{n}: a kubernetes filter makes no sense under compose")
        for p in keys.get("parser", []):
            if p not in names:
                raise ValueError(f"fluent-bit.conf:{n}: parser {p} is not in parsers.conf")
        outputs += kind == "OUTPUT"
    if outputs == 0:
        raise ValueError("fluent-bit.conf has no [OUTPUT]")
    nginx_error = re.compile(names["nginx_error"]["regex"][0].replace("(?<", "(?P<"))
    checked = 0
    for log in argv[2:]:
        with open(log) as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line:
                    continue
                checked += 1
                try:
                    if isinstance(json.loads(line), dict):
                        continue
                except ValueError:
                    pass
                if not nginx_error.match(line):
                    raise ValueError(f"{log}:{n}: neither a JSON object nor an nginx error line: {line[:160]!r}")
    print(f"fluent-bit: configuration consistent; {checked} log line(s) parse")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except (ValueError, re.error, OSError, KeyError) as e:
        print(f"FAILED fluent-bit: {e}", file=sys.stderr)
        sys.exit(1)
