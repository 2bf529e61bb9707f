"""A withholding's vocabulary and messages in Russian (issue 16): the field names, its
validation and its description read in the reader's language; English is unchanged."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from defections.withholding import WithheldField, Withholding
from tests.factories import CaseFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_withholding_labels_and_messages_in_russian():
    case, person = CaseFactory(), PersonFactory()
    kept = Withholding.objects.create(case=case, field="narrative", reason="Safety.", until=date(2027, 6, 1))
    wrong = Withholding(person=person, field="narrative", reason="Wrong record.")
    assert str(kept) == "Narrative withheld until 2027-06-01"
    with translation.override("ru"):
        assert WithheldField.DESTINATION_COUNTRY.label == "Куда уехал"
        assert str(kept) == "Подробное описание: скрыто до 2027-06-01"
        with pytest.raises(ValidationError) as refused:
            wrong.full_clean()
        assert refused.value.message_dict["field"] == [
            "Скрываемое поле человека — одно из: native_name, birth, death, bio, citizenship."]
        with pytest.raises(ValidationError) as twice:
            Withholding(case=case, field="narrative", reason="Again.").full_clean()
        assert "Это поле случая уже скрыто." in twice.value.messages
        assert str(Withholding._meta.get_field("until").help_text).startswith("День, с которого")
    with pytest.raises(ValidationError) as refused:
        wrong.full_clean()
    assert refused.value.message_dict["field"][0].startswith("A person's withheld field is one of")
