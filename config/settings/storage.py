"""Static files storage for production (see docs/decisions/0004-production-path.md).

whitenoise's CompressedManifestStaticFilesStorage rewrites every url(...) in
collected CSS to its hashed name and aborts collectstatic when a referenced
file does not exist. viewflow 2.4 ships an unused copy of the npm package's
``roboto-fontface.css`` whose relative font paths point nowhere, so the stock
storage cannot collect the project at all, and without a manifest every
``{% static %}`` tag answers 500.

This subclass is lenient only inside third-party packages named in
``LENIENT_PREFIXES``: a reference that cannot be found there is left as
written (and logged), exactly as the package shipped it. Our own assets
(``static/``) stay strict: a broken reference there still fails
collectstatic. ``manifest_strict`` stays on, so a template naming a file that
was not collected is still an error rather than a silent unhashed URL.
"""
import logging
import re

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)

# Static prefixes of vendored third-party packages whose CSS may reference
# files they do not ship. Only add a package after checking the file it
# misses is one no page uses.
LENIENT_PREFIXES = ("viewflow/",)


_MISSING = re.compile(r"^The file '(.+)' could not be found")


class ProductionStaticFilesStorage(CompressedManifestStaticFilesStorage):
    lenient_prefixes = LENIENT_PREFIXES

    def url_converter(self, name, hashed_files, template=None):
        converter = super().url_converter(name, hashed_files, template)
        if not name.replace("\\", "/").startswith(self.lenient_prefixes):
            return converter

        def lenient_converter(matchobj):
            try:
                return converter(matchobj)
            except ValueError as exc:
                # Django says "The file '<name>' could not be found with <storage>."
                missing = _MISSING.match(str(exc))
                if not missing:
                    raise
                self._report_missing(name, missing.group(1))
                return matchobj.group("matched")

        return lenient_converter

    def _report_missing(self, name, missing):
        """Once per referencing file (post-processing runs several passes)."""
        reported = self.__dict__.setdefault("_reported_missing", {})
        reported.setdefault(name, set())
        if missing not in reported[name]:
            if not reported[name]:
                logger.warning("collectstatic: %s references files it does not ship; left as written", name)
            reported[name].add(missing)
            logger.debug("collectstatic: %s -> missing %s", name, missing)
