"""The compose deployment's two halves, run for real without Docker: the repository's
Caddyfile in front of the app under gunicorn with the production settings. HTTPS answers
pages (no redirect loop: the app trusts Caddy's X-Forwarded-Proto) and plain HTTP is sent
to HTTPS. Caddy is Debian's package (.ci/run installs it); the image uses caddy:2."""

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEY = "a-test-secret-key-that-is-long-enough-for-the-production-check-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, context=None) -> tuple[int, dict, str]:
    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def wait_until(check, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            return check()
        except OSError:
            time.sleep(0.5)
    return check()


@pytest.mark.django_db
def test_caddy_serves_the_production_app_over_https(tmp_path, django_db_setup):
    caddy = shutil.which("caddy")
    if caddy is None:
        if os.environ.get("CI"):
            pytest.fail("caddy is missing: .ci/run installs it")
        pytest.skip("caddy is not installed (apt-get install caddy)")
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DJANGO_ENV="production", SECRET_KEY=KEY, PROXY_COUNT="1", ALLOWED_HOSTS="localhost",
               STATIC_ROOT=str(tmp_path / "static"), EMBEDDED_DB_NAME=name)
    if env.get("DATABASE_URL"):
        env["DATABASE_URL"] = urlsplit(env["DATABASE_URL"])._replace(path="/" + name).geturl()
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True, timeout=300)

    # The repository's Caddyfile, with the compose service name and ports of this machine.
    site = (ROOT / "Caddyfile").read_text().replace("web:8000", f"127.0.0.1:{app_port}")
    config = tmp_path / "Caddyfile"
    config.write_text(f"{{\n\thttp_port {http_port}\n\thttps_port {https_port}\n"
                      f"\tskip_install_trust\n\tadmin off\n}}\n\n{site}")
    caddy_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SITE_ADDRESS": "localhost",
                 "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}

    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "defections.wsgi",
                                 "--bind", f"127.0.0.1:{app_port}", "--workers", "1"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    proxy = subprocess.Popen([caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
                             env=caddy_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        root_cert = tmp_path / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        # Verified against Caddy's own local authority, as a browser that trusts it would.
        status, _, page = wait_until(lambda: fetch(f"https://localhost:{https_port}/about/",
                                                   ssl.create_default_context(cafile=root_cert)))
        assert status == 200, page[:2000]
        assert "/static/" in page
        plain, headers, _ = fetch(f"http://localhost:{http_port}/about/")
        assert plain in (301, 308)
        assert headers["Location"].startswith("https://localhost")
    finally:
        for process in (proxy, gunicorn):
            process.terminate()
            process.wait(timeout=30)
