"""deploy/k8s/: every manifest validates against the Kubernetes schemas (kubernetes-validate
ships them: offline, strict: unknown fields fail) and carries what production needs."""

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"


def _documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    return docs


DOCS = _documents()


def _kind(kind: str) -> dict[str, Any]:
    found = [doc for _, doc in DOCS if doc["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


@pytest.mark.parametrize(
    ("name", "doc"),
    [(n, d) for n, d in DOCS if d["kind"] != "Kustomization"],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_manifest_is_schema_valid(name: str, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = _kind("Kustomization")
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_every_required_kind_exists() -> None:
    kinds = {doc["kind"] for _, doc in DOCS}
    required = {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "ConfigMap"}
    assert required | {"Secret", "PodDisruptionBudget", "Job"} <= kinds


def _container(spec: dict[str, Any]) -> dict[str, Any]:
    containers = spec["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def test_deployment_probes_resources_and_security() -> None:
    deployment = _kind("Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    container = _container(spec)
    assert container["command"][:2] == ["uvicorn", "app.asgi:app"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    port = container["readinessProbe"]["httpGet"]["port"]
    assert port in {p["name"] for p in container["ports"]}
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]
    refs = {next(iter(r.values()))["name"] for r in container["envFrom"]}
    assert refs == {_kind("ConfigMap")["metadata"]["name"], _kind("Secret")["metadata"]["name"]}
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()


def test_service_hpa_and_pdb_select_the_deployment() -> None:
    deployment = _kind("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = _kind("Service")
    assert service["spec"]["selector"].items() <= labels.items()
    container_ports = {p["name"] for p in _container(deployment["spec"])["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= container_ports
    hpa = _kind("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    pdb = _kind("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]


def test_ingress_websockets_and_sticky_sessions() -> None:
    ingress = _kind("Ingress")
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    assert notes["nginx.ingress.kubernetes.io/limit-rps"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == _kind("Service")["metadata"]["name"]


def test_migrations_run_as_a_job_with_the_same_config() -> None:
    job = _kind("Job")
    container = _container(job["spec"])
    assert container["command"] == ["alembic", "upgrade", "head"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    deployment = _container(_kind("Deployment")["spec"])
    assert container["image"] == deployment["image"]
    assert container["envFrom"] == deployment["envFrom"]


def test_secret_is_a_documented_placeholder() -> None:
    secret = _kind("Secret")
    assert set(secret["stringData"]) >= {"DATABASE_URL", "JWT_KEYS", "JWT_CURRENT_KID"}
    assert all("CHANGE-ME" in v for v in secret["stringData"].values())
    assert "kubectl create secret" in (K8S / "secret.yaml").read_text()


def test_config_names_real_settings() -> None:
    from app.settings import Settings

    fields = {name.upper() for name in Settings.model_fields}
    # FORWARDED_ALLOW_IPS is uvicorn's, not the app's.
    for key in set(_kind("ConfigMap")["data"]) | set(_kind("Secret")["stringData"]):
        assert key in fields | {"FORWARDED_ALLOW_IPS"}, key
