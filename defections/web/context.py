"""Template context every page shares: the publisher and the licences for the footer."""

from defections import publisher as core


def publisher(request):
    return {"publisher": core.publisher(), "data_licence": core.DATA_LICENCE,
            "code_licence": core.CODE_LICENCE}
