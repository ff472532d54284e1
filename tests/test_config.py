"""Configuration: the instance folder, secret key, PRACTICE_* variables, cookies, CSRF."""

import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from practice import config, create_app
from practice.config import database_url
from tests.conftest import PASSWORD, make_app


def test_secret_key_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("PRACTICE_SECRET_KEY", raising=False)
    first = create_app({"PRACTICE_INSTANCE_PATH": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.secret_key) == 64
    assert create_app({"PRACTICE_INSTANCE_PATH": str(tmp_path)}).secret_key == first.secret_key


def test_sqlite_in_the_instance_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("PRACTICE_DATABASE_URL", raising=False)
    app = create_app({"PRACTICE_INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'practice.sqlite'}"


def test_environment_variables_configure_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("PRACTICE_DATABASE_URL", "postgresql://practice@db.internal/practice")
    monkeypatch.setenv("PRACTICE_PAGE_SIZE", "50")
    app = create_app({"PRACTICE_INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://practice@db.internal/practice"
    assert app.config["PRACTICE_PAGE_SIZE"] == 50


@pytest.mark.parametrize("given, used", [
    ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ("sqlite:////srv/practice.sqlite", "sqlite:////srv/practice.sqlite"),
])
def test_database_urls(given, used):
    class App:
        config = {"PRACTICE_DATABASE_URL": given}
        instance_path = "/unused"

    assert database_url(App) == used


# What `practice verify-log` reads without Flask (practice.config.read, instance_path) -----------

def test_the_settings_read_without_flask_are_the_apps(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("PRACTICE_PAGE_SIZE = 40\nPRACTICE_SQLITE_BUSY_TIMEOUT_MS = 9\nlower = 1\n")
    monkeypatch.setenv("PRACTICE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PRACTICE_SQLITE_BUSY_TIMEOUT_MS", "7")
    monkeypatch.setenv("PRACTICE_DATABASE_URL", "postgres://u@h/d")
    app = create_app()
    read = config.read(config.instance_path())
    assert config.instance_path() == Path(app.instance_path) == tmp_path
    assert read == {name: app.config[name] for name in read}
    assert (read["PRACTICE_PAGE_SIZE"], read["PRACTICE_SQLITE_BUSY_TIMEOUT_MS"]) == (40, 7) and "lower" not in read
    (tmp_path / "config.py").unlink()
    assert config.read(tmp_path)["PRACTICE_PAGE_SIZE"] == config.Defaults.PRACTICE_PAGE_SIZE


def test_a_relative_instance_path_is_refused_as_flask_refuses_it(monkeypatch):
    monkeypatch.setenv("PRACTICE_INSTANCE_PATH", "instance")
    with pytest.raises(ValueError, match="must be absolute"):
        config.instance_path()


@pytest.mark.parametrize("package_path", [
    "/srv/practice-src",  # a source checkout
    "{prefix}/lib/python3.11/site-packages",  # installed in this environment
    "/opt/venv/lib/python3.11/site-packages",  # another environment
    "/opt/venv/Lib/site-packages",
    "/opt/other/site-packages",
])
def test_the_default_instance_folder_is_flasks(monkeypatch, package_path):
    import flask.sansio.scaffold as scaffold
    from flask import Flask

    path = package_path.format(prefix=sys.prefix)
    monkeypatch.setattr(scaffold, "_find_package_path", lambda name: path)
    monkeypatch.delenv("PRACTICE_INSTANCE_PATH", raising=False)
    flasks = Flask("practice").auto_find_instance_path()
    assert config.default_instance_path(Path(path), Path(sys.prefix)) == Path(flasks)


def test_the_instance_folder_here_is_flasks(monkeypatch):
    from flask import Flask

    monkeypatch.delenv("PRACTICE_INSTANCE_PATH", raising=False)
    assert config.instance_path() == Path(Flask("practice").instance_path)


def _session_cookie(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("practice_session="))


def test_session_cookie_is_httponly_lax_and_secure_over_https(app, practice):
    plain = app.test_client().post("/login", data={"email": practice.email, "password": PASSWORD})
    cookie = _session_cookie(plain)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client().post("/login", base_url="https://localhost",
                                    data={"email": practice.email, "password": PASSWORD})
    assert "Secure" in _session_cookie(secure)


def test_forms_refuse_a_post_without_csrf_token(database_url, tmp_path):
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/setup", data={"name": "X"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_the_wheel_carries_the_templates(tmp_path):
    """A non-editable install has the top-level templates/ inside the package."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("practice-*.whl"))
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    assert (unpacked / "practice/templates/practice/base.html").is_file()
    assert (unpacked / "practice/migrations/versions").is_dir()
    script = (
        "import practice, sys; app = practice.create_app({'PRACTICE_INSTANCE_PATH': sys.argv[1]});"
        "print(app.jinja_loader.searchpath[0])"
    )
    found = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "instance")],
        cwd=tmp_path, env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"},
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    assert found == str(unpacked / "practice/templates")
