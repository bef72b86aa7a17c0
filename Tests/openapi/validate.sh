#!/usr/bin/env bash
# Validates docs/openapi.json (or the file given as $1):
#   - against the OpenAPI 3.1 specification, references included (openapi-spec-validator);
#   - every Schema Object against the JSON Schema 2020-12 meta-schema;
#   - every request and response example against its schema;
#   - the API's conventions: unique operationIds, an Idempotency-Key header parameter on every POST.
# The validator lives in a virtual environment of its own, .build-openapi-venv/ (ignored by git through `.build-*/`),
# created on the first run (that run needs PyPI).
#
#   bash Tests/openapi/validate.sh [FILE]
#
# Exits 0 when the document passes, 1 otherwise.

set -euo pipefail

# The validator and the libraries it checks with, pinned so that a new release cannot change the verdict.
PACKAGES=(
    "openapi-spec-validator==0.7.1"
    "openapi-schema-validator==0.6.3"
    "jsonschema==4.26.0"
    "jsonschema-path==0.3.4"
    "referencing==0.36.2"
)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
document="${1:-$root/docs/openapi.json}"
venv="$root/.build-openapi-venv"
python="${PYTHON:-python3}"

if [[ ! -f "$document" ]]; then
    echo "error: $document does not exist" >&2
    exit 1
fi

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
stamp="$venv/cavra-openapi-packages.txt"
if [[ "$(cat "$stamp" 2>/dev/null)" != "${PACKAGES[*]}" ]]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"
    echo "${PACKAGES[*]}" >"$stamp"
fi

"$venv/bin/python" - "$document" <<'PYTHON'
import json
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from openapi_spec_validator import validate

path = sys.argv[1]
try:
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
except (OSError, ValueError) as error:
    sys.exit(f"error: {path} is not valid JSON: {error}")

if document.get("openapi") != "3.1.0":
    sys.exit(f"error: {path} declares openapi {document.get('openapi')!r}, not '3.1.0'")

# The specification, references included.
try:
    validate(document)
except Exception as error:  # a validation error, or a reference that resolves nowhere
    message = str(error)  # a reference error quotes the whole document: keep its first part
    message = message.split(" does not exist within ")[0] + (" does not exist" if " does not exist within " in message else "")
    sys.exit(f"error: {path} is not a valid OpenAPI 3.1 document:\n{message[:2000]}")

problems = []

# Every Schema Object against the JSON Schema 2020-12 meta-schema (the OpenAPI validator does not look inside them).
def schemas(node, where):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema" or (where == "#/components/schemas"):
                yield f"{where}/{key}", value
            else:
                yield from schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from schemas(value, f"{where}/{index}")

checked = 0
for pointer, schema in list(schemas(document.get("paths", {}), "#/paths")) + list(
    schemas(document.get("components", {}), "#/components")
):
    if not isinstance(schema, (dict, bool)):
        continue
    checked += 1
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        location = "/".join(str(part) for part in error.absolute_path)
        problems.append(f"{pointer}/{location}: {error.message}")

# Every example of a request or response body against its schema (references resolved within the document).
def escape(part):
    return str(part).replace("~", "~0").replace("/", "~1")

def media(node, parts):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "content" and isinstance(value, dict):
                for media_type, entry in value.items():
                    yield parts + ["content", media_type], entry
            else:
                yield from media(value, parts + [key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from media(value, parts + [index])

examples = 0
for parts, entry in list(media(document.get("paths", {}), ["paths"])) + list(
    media(document.get("components", {}), ["components"])
):
    if not isinstance(entry, dict) or "schema" not in entry:
        continue
    values = [("example", entry["example"])] if "example" in entry else []
    values += [(f"examples/{name}", example["value"]) for name, example in entry.get("examples", {}).items()
               if isinstance(example, dict) and "value" in example]
    if not values:
        continue
    pointer = "#/" + "/".join(escape(part) for part in parts)
    # The document as the root schema, so that `#/components/...` resolves; its other members are unknown keywords.
    validator = Draft202012Validator({**document, "$ref": pointer + "/schema"})
    for name, value in values:
        examples += 1
        try:
            errors = [f"/{'/'.join(escape(p) for p in e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]
        except Exception as error:  # a reference that resolves nowhere
            errors = [f"cannot be checked: {type(error).__name__}"]
        problems += [f"{pointer}/{name}: {error}" for error in errors]

# The API's own conventions: unique operation ids, and every POST takes an Idempotency-Key.
def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node

seen = {}
operations = 0
for route, item in document.get("paths", {}).items():
    for method, operation in item.items():
        if method not in {"get", "put", "post", "delete", "options", "head", "patch", "trace"}:
            continue
        operations += 1
        name = f"{method.upper()} {route}"
        operation_id = operation.get("operationId")
        if not operation_id:
            problems.append(f"{name}: no operationId")
        elif operation_id in seen:
            problems.append(f"{name}: operationId {operation_id!r} is also used by {seen[operation_id]}")
        else:
            seen[operation_id] = name
        if method == "post":
            headers = {resolve(p).get("name", "").lower() for p in operation.get("parameters", []) if resolve(p).get("in") == "header"}
            if "idempotency-key" not in headers:
                problems.append(f"{name}: no Idempotency-Key header parameter")

if problems:
    print(f"error: {path}:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    sys.exit(1)

print(f"ok: {path} is a valid OpenAPI 3.1.0 document ({len(document['paths'])} paths, {operations} operations, "
      f"{checked} schemas checked against JSON Schema 2020-12, {examples} examples against their schemas)")
PYTHON
