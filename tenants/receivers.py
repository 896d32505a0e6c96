"""Tell open WebSockets when the access that opened them may have ended.

Connected in `TenantsConfig.ready`. The messages are sent after the commit, so that the
sockets' re-check reads the new state.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.groups import tell_session_ended, tell_user_access_changed
from tenants.models import Membership


@receiver(post_save, sender=Membership, dispatch_uid="sockets-membership-saved")
@receiver(post_delete, sender=Membership, dispatch_uid="sockets-membership-deleted")
def membership_changed(sender, instance: Membership, **kwargs) -> None:
    user_id = instance.user_id
    transaction.on_commit(lambda: tell_user_access_changed(user_id))


@receiver(post_save, sender=get_user_model(), dispatch_uid="sockets-user-saved")
def user_saved(sender, instance, created: bool = False, **kwargs) -> None:
    if not created and not instance.is_active:
        user_id = instance.pk
        transaction.on_commit(lambda: tell_user_access_changed(user_id))


@receiver(user_logged_out, dispatch_uid="sockets-logged-out")
def logged_out(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        tell_session_ended(session_key)


@receiver(post_delete, sender=Session, dispatch_uid="sockets-session-deleted")
def session_deleted(sender, instance: Session, **kwargs) -> None:
    session_key = instance.session_key
    transaction.on_commit(lambda: tell_session_ended(session_key))
