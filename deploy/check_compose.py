"""Checks compose.yaml without a container engine: it parses as YAML, every service has an
image or a build, every `depends_on` names a service with a health check when it waits for
`service_healthy`, ports are "host:container" strings, named volumes are declared, and
every ${VAR...} interpolation is well formed. Exits non-zero with the problems listed."""

import re
import sys

import yaml

INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*((:?[-?+]).*)?$", re.S)


def interpolations(value):
    if isinstance(value, str):
        yield from INTERPOLATION.findall(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from interpolations(item)
    elif isinstance(value, list):
        for item in value:
            yield from interpolations(item)


def problems(document):
    if not isinstance(document, dict):
        yield "not a YAML mapping"
        return
    services = document.get("services")
    if not isinstance(services, dict) or not services:
        yield "no services"
        return
    volumes = document.get("volumes") or {}
    for name, service in services.items():
        if "image" not in service and "build" not in service:
            yield f"{name}: neither image nor build"
        for other, condition in (service.get("depends_on") or {}).items():
            if other not in services:
                yield f"{name}: depends on unknown service {other}"
            elif condition.get("condition") == "service_healthy" and "healthcheck" not in services[other]:
                yield f"{name}: waits for {other} to be healthy, which has no healthcheck"
        for port in service.get("ports") or []:
            if not (isinstance(port, str) and re.fullmatch(r"\d+:\d+", port)):
                yield f"{name}: port {port!r} is not a quoted host:container pair"
        for mount in service.get("volumes") or []:
            source = mount.split(":", 1)[0]
            if not source.startswith((".", "/")) and source not in volumes:
                yield f"{name}: volume {source} is not declared"
    for expression in interpolations(document):
        if not VARIABLE.match(expression):
            yield f"malformed interpolation ${{{expression}}}"


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        document = yaml.safe_load(file)
    found = list(problems(document))
    for problem in found:
        print(f"compose.yaml: {problem}", file=sys.stderr)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
