"""Validates ODCS documents against the standard's JSON Schema with the
reference validator (jsonschema), read as a YAML 1.1 reader (PyYAML, as
datacontract-cli uses) reads them: a date or a time written unquoted would
load as a date, not as the string the standard wants.

    python validate_odcs.py SCHEMA.json DOCUMENT.yaml...

Prints each problem with its path in the document; exits 1 when any.
"""

import json
import sys

import jsonschema
import yaml


def main():
    schema_path, *documents = sys.argv[1:]
    with open(schema_path, encoding="utf-8") as file:
        schema = json.load(file)
    validator = jsonschema.Draft202012Validator(schema)
    problems = 0
    for path in documents:
        with open(path, encoding="utf-8") as file:
            document = yaml.safe_load(file)
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            location = "/".join(str(part) for part in error.absolute_path)
            print(f"{path}: /{location}: {error.message}")
            problems += 1
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
