"""Flask extension objects, created once and bound to each app in the factory."""

from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from practice.config import PACKAGE_DIR
from practice.db import in_this_database, render_migration_type

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"

csrf = CSRFProtect()
# Batch mode lets later migrations alter SQLite tables (SQLite has little ALTER TABLE).
migrate = Migrate(
    directory=str(PACKAGE_DIR / "migrations"),
    render_as_batch=True,
    render_item=render_migration_type,
    include_object=in_this_database,
)
bootstrap = Bootstrap5()
