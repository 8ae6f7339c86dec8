"""What the Kubernetes schemas cannot say about a step's k8s/ manifests.

Run by scripts/check-k8s.sh (with the Python of the pinned
kubernetes-validate environment, which has PyYAML) as

    check-k8s.py STEP_DIR RENDERED.yaml [--self-test]

where RENDERED.yaml is the system's kustomization rendered (`kubectl
kustomize STEP_DIR/k8s`) and the optional ones beside it (mongodb/,
ingress/, seed/) appended. It checks the manifests against each other and
against the step's own files:

- every Deployment's containers have a readiness probe on /health/ready and
  a liveness probe on /health/live, on a port the container declares, and
  resource requests and limits for cpu and memory;
- every Service selects one workload, and each of its ports' targetPort is
  a port of that workload's container (a headless Service's port is the
  container's too: its callers connect to the pods directly);
- only web is exposed outside: no NodePort or LoadBalancer Service, no
  externalIPs, hostPort or hostNetwork, and an Ingress reaches web only;
- every program of the step (each `*/src/main.rs`, each runtime target of
  the Dockerfile, each built service of compose.yaml) has a Deployment and
  a Service; its image is the Dockerfile target's, whose EXPOSE is the
  container's port;
- every variable a service reads is set: PORT (the container's port), HOST
  0.0.0.0, MONGODB_DB as compose.yaml has it, MONGODB_URI where compose
  sets a database, web's SECRET_KEY, and each `*_URL` that compose sets for
  it or its source code reads, pointing at that service's Service and port;
  every ConfigMap or Secret (and key) the pods refer to exists;
- the kustomization lists every manifest of its folder.

With --self-test it also breaks the manifests in the ways above, one at a
time, and fails unless each break is reported (and the intact set passes).
"""

import copy
import pathlib
import re
import sys

import yaml

URL_NAME = re.compile(r'"([A-Z][A-Z0-9]*)_URL"')


def load(path):
    return [d for d in yaml.safe_load_all(open(path)) if d]


def container_ports(container):
    """name → number and number → number of a container's ports."""
    ports = {}
    for p in container.get("ports", []):
        ports[p["containerPort"]] = p["containerPort"]
        if "name" in p:
            ports[p["name"]] = p["containerPort"]
    return ports


def effective_env(container, objects, problems, where):
    """The variables a container gets, resolving ConfigMaps and Secrets."""
    env = {}
    for source in container.get("envFrom", []):
        for kind, ref in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if ref in source:
                name = source[ref]["name"]
                obj = objects.get((kind, name))
                if obj is None:
                    if not source[ref].get("optional"):
                        problems.append(f"{where}: envFrom {kind} {name} does not exist")
                    continue
                data = dict(obj.get("data") or {})
                data.update(obj.get("stringData") or {})
                env.update({k: str(v) for k, v in data.items()})
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = str(var["value"])
            continue
        ref = var.get("valueFrom", {})
        for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
            if key in ref:
                obj = objects.get((kind, ref[key]["name"]))
                data = {}
                if obj is not None:
                    data = dict(obj.get("data") or {})
                    data.update(obj.get("stringData") or {})
                if ref[key]["key"] not in data:
                    problems.append(f"{where}: {var['name']} refers to {kind} {ref[key]['name']}"
                                    f" key {ref[key]['key']}, which does not exist")
                env[var["name"]] = str(data.get(ref[key]["key"], ""))
    return env


def dockerfile_targets(path):
    """target → (EXPOSE port or None, CMD) for each `FROM runtime AS x` stage."""
    targets, current = {}, None
    for line in open(path):
        m = re.match(r"FROM\s+runtime\s+AS\s+(\S+)", line, re.I)
        if m:
            current = m.group(1)
            targets[current] = [None, ""]
        elif re.match(r"FROM\s", line, re.I):
            current = None
        elif current and line.startswith("EXPOSE"):
            targets[current][0] = int(line.split()[1])
        elif current and line.startswith("CMD"):
            targets[current][1] = line
    return targets


def check(step, docs, kustomization_dir):
    problems = []
    objects = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    workloads = {name: d for (kind, name), d in objects.items() if kind in ("Deployment", "StatefulSet")}
    compose = yaml.safe_load(open(step / "compose.yaml"))["services"]
    built = {n: s for n, s in compose.items() if "build" in s and s["build"].get("target") != "seed"}
    targets = dockerfile_targets(step / "Dockerfile")
    binaries = {p.parent.parent.name for p in step.glob("*/src/main.rs")}
    programs = set(built) | {t for t in targets if t != "seed"} | binaries

    for name in sorted(programs):
        for what, present in (("a compose service", name in built), ("a Dockerfile target", name in targets),
                              ("a Deployment", ("Deployment", name) in objects),
                              ("a Service", ("Service", name) in objects)):
            if not present:
                problems.append(f"{name}: a program of {step.name} without {what}")

    # Probes, resources, exposure, and each Deployment against compose and the Dockerfile.
    for (kind, name), d in objects.items():
        if kind not in ("Deployment", "StatefulSet", "Job"):
            continue
        pod = d["spec"]["template"]["spec"]
        if pod.get("hostNetwork"):
            problems.append(f"{kind} {name}: hostNetwork exposes it outside the cluster")
        if kind == "Deployment" and d["spec"].get("replicas", 1) < 1:
            problems.append(f"{kind} {name}: fewer than one replica")
        for c in pod["containers"]:
            where = f"{kind} {name}/{c['name']}"
            ports = container_ports(c)
            for p in c.get("ports", []):
                if "hostPort" in p:
                    problems.append(f"{where}: hostPort exposes it outside the cluster")
            for kind_of, key in (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory")):
                if key not in c.get("resources", {}).get(kind_of, {}):
                    problems.append(f"{where}: no resources.{kind_of}.{key}")
            if kind != "Deployment":
                continue
            for probe, path in (("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live")):
                get = c.get(probe, {}).get("httpGet")
                if not get or get.get("path") != path:
                    problems.append(f"{where}: no {probe} httpGet on {path}")
                elif get.get("port") not in ports:
                    problems.append(f"{where}: {probe} port {get.get('port')!r} is not a port of the container")
            if name not in built:
                continue
            env = effective_env(c, objects, problems, where)
            cenv = {k: str(v) for k, v in (built[name].get("environment") or {}).items()}
            port = ports.get("http")
            if env.get("PORT") != str(port):
                problems.append(f"{where}: PORT is {env.get('PORT')!r}, the container's port is {port}")
            if cenv.get("PORT") != str(port):
                problems.append(f"{where}: port {port}, but compose.yaml's {name} has PORT {cenv.get('PORT')!r}")
            if env.get("HOST") != "0.0.0.0":
                problems.append(f"{where}: HOST must be 0.0.0.0 (the services listen on 127.0.0.1 by default)")
            if env.get("MONGODB_DB") != cenv.get("MONGODB_DB"):
                problems.append(f"{where}: MONGODB_DB is {env.get('MONGODB_DB')!r},"
                                f" compose.yaml says {cenv.get('MONGODB_DB')!r}")
            if "MONGODB_DB" in cenv and not env.get("MONGODB_URI"):
                problems.append(f"{where}: MONGODB_URI is not set")
            if name == "web" and not env.get("SECRET_KEY"):
                problems.append(f"{where}: SECRET_KEY is not set")
            image = c["image"].rsplit("/", 1)[-1].split(":")[0].split("@")[0]
            target = targets.get(name)
            if image != f"{step.name.split('-')[0]}-{name}":
                problems.append(f"{where}: image {c['image']} is not the Dockerfile target {name}'s")
            if target and target[0] != port:
                problems.append(f"{where}: the Dockerfile's {name} target exposes {target[0]}, the container {port}")
            # Every service a program calls: what compose gives it and what its code reads.
            wanted = {k[:-4] for k in cenv if k.endswith("_URL")}
            src = step / name / "src"
            if src.is_dir():
                for rs in src.rglob("*.rs"):
                    wanted |= set(URL_NAME.findall(rs.read_text()))
            for callee in sorted(wanted):
                var = f"{callee}_URL"
                if not env.get(var):
                    problems.append(f"{where}: {var} is not set (the service reads it)")
                    continue
                for url in env[var].split(","):
                    m = re.fullmatch(r"http://([a-z0-9-]+):(\d+)/?", url.strip())
                    target_name = callee.lower()
                    callee_port = None
                    if ("Deployment", target_name) in objects:
                        callee_c = objects[("Deployment", target_name)]["spec"]["template"]["spec"]["containers"][0]
                        callee_port = container_ports(callee_c).get("http")
                    if not m or m.group(1) != target_name or int(m.group(2)) != callee_port:
                        problems.append(f"{where}: {var}={url} is not http://{target_name}:{callee_port}"
                                        f" ({target_name}'s Service and container port)")

    # Services: one workload each, ports that exist, nothing exposed.
    for (kind, name), s in objects.items():
        if kind != "Service":
            continue
        spec = s["spec"]
        if spec.get("type", "ClusterIP") != "ClusterIP" or spec.get("externalIPs"):
            problems.append(f"Service {name}: type {spec.get('type')} exposes it outside; only ClusterIP")
        selected = [w for w in workloads.values()
                    if spec.get("selector") and all(w["spec"]["template"]["metadata"]["labels"].get(k) == v
                                                    for k, v in spec["selector"].items())]
        if len(selected) != 1:
            problems.append(f"Service {name}: selects {len(selected)} workloads, not one")
            continue
        c = selected[0]["spec"]["template"]["spec"]["containers"][0]
        ports = container_ports(c)
        for p in spec.get("ports", []):
            target = p.get("targetPort", p["port"])
            if target not in ports:
                problems.append(f"Service {name}: targetPort {target!r} is not a port of its pods ({sorted(map(str, ports))})")
            elif spec.get("clusterIP") == "None" and ports[target] != p["port"]:
                problems.append(f"Service {name}: headless, so its port {p['port']} must be the container's {ports[target]}")

    for (kind, name), i in objects.items():
        if kind != "Ingress":
            continue
        backends = [p["backend"]["service"]["name"] for r in i["spec"].get("rules", [])
                    for p in r.get("http", {}).get("paths", [])]
        if "defaultBackend" in i["spec"]:
            backends.append(i["spec"]["defaultBackend"]["service"]["name"])
        for b in backends:
            if b != "web":
                problems.append(f"Ingress {name}: reaches {b}; only web is exposed")

    # The kustomization lists every manifest of its folder.
    for kfile in kustomization_dir.rglob("kustomization.yaml"):
        listed = set(yaml.safe_load(open(kfile)).get("resources", []))
        for f in kfile.parent.glob("*.yaml"):
            if f.name != "kustomization.yaml" and f.name not in listed:
                problems.append(f"{kfile}: {f.name} is not in its resources")
    return problems


def self_test(step, docs, kdir):
    """Each break must be reported; the intact manifests must pass."""
    def dep(ds, name):
        return next(d for d in ds if d["kind"] == "Deployment" and d["metadata"]["name"] == name)

    def svc(ds, name):
        return next(d for d in ds if d["kind"] == "Service" and d["metadata"]["name"] == name)

    def cm(ds, name):
        return next(d for d in ds if d["kind"] == "ConfigMap" and d["metadata"]["name"] == name)

    def c0(d):
        return d["spec"]["template"]["spec"]["containers"][0]

    breaks = [
        ("readiness path typo", lambda ds: c0(dep(ds, "posts"))["readinessProbe"]["httpGet"].update(path="/health/redy"),
         "posts/posts: no readinessProbe httpGet on /health/ready"),
        ("liveness probe missing", lambda ds: c0(dep(ds, "jobs")).pop("livenessProbe"),
         "jobs/jobs: no livenessProbe"),
        ("probe port typo", lambda ds: c0(dep(ds, "likes"))["readinessProbe"]["httpGet"].update(port="htpp"),
         "readinessProbe port 'htpp' is not a port"),
        ("targetPort typo", lambda ds: svc(ds, "search")["spec"]["ports"][0].update(targetPort="htpp"),
         "Service search: targetPort 'htpp'"),
        ("headless port off by one", lambda ds: svc(ds, "hide")["spec"]["ports"][0].update(port=5019),
         "Service hide: headless"),
        ("a NodePort", lambda ds: svc(ds, "tags")["spec"].update(type="NodePort", clusterIP=None),
         "Service tags: type NodePort"),
        ("a hostPort", lambda ds: c0(dep(ds, "shares"))["ports"][0].update(hostPort=5008),
         "shares/shares: hostPort"),
        ("a URL web reads, unset", lambda ds: cm(ds, "services")["data"].pop("LIKES_URL"),
         "web/web: LIKES_URL is not set"),
        ("a URL to the wrong port", lambda ds: cm(ds, "services")["data"].update(TAGS_URL="http://tags:5004"),
         "TAGS_URL=http://tags:5004 is not http://tags:5005"),
        ("the wrong database", lambda ds: cm(ds, "recommend-env")["data"].update(MONGODB_DB="reddit"),
         "recommend/recommend: MONGODB_DB is 'reddit'"),
        ("PORT not the container's", lambda ds: cm(ds, "sync-env")["data"].update(PORT="5007"),
         "sync/sync: PORT is '5007'"),
        ("a missing Secret", lambda ds: ds.remove(next(d for d in ds if d["kind"] == "Secret" and d["metadata"]["name"] == "web")),
         "SECRET_KEY refers to Secret web"),
        ("no memory limit", lambda ds: c0(dep(ds, "web"))["resources"]["limits"].pop("memory"),
         "web/web: no resources.limits.memory"),
        ("a program without a Deployment", lambda ds: ds.remove(dep(ds, "recommend")),
         "recommend: a program of"),
    ]
    failures = []
    intact = check(step, docs, kdir)
    if intact:
        failures.append("the intact manifests fail: " + "; ".join(intact))
    for what, breaker, expected in breaks:
        broken = copy.deepcopy(docs)
        breaker(broken)
        found = check(step, broken, kdir)
        if not any(expected in p for p in found):
            failures.append(f"{what}: not reported (expected {expected!r}, got {found})")
    return failures, len(breaks)


def main():
    step, rendered = pathlib.Path(sys.argv[1]), sys.argv[2]
    docs = load(rendered)
    kdir = step / "k8s"
    if "--self-test" in sys.argv:
        failures, n = self_test(step, docs, kdir)
        if failures:
            print(f"k8s: {step}: the semantic check's self-test FAILED:\n  " + "\n  ".join(failures))
            sys.exit(1)
        print(f"k8s: {step}: self-test: each of {n} deliberate breaks is reported")
        return
    problems = check(step, docs, kdir)
    if problems:
        print(f"k8s: {step}/k8s:\n  " + "\n  ".join(problems))
        sys.exit(1)
    n = sum(d["kind"] == "Deployment" for d in docs)
    print(f"k8s: {step}/k8s: {n} Deployments, each with both probes, its Service's port, its settings;"
          " only web is exposed")


if __name__ == "__main__":
    main()
