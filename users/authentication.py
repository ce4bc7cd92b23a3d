from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

SESSION_VERSION_CLAIM = "sv"
SESSION_ENDED = _("This session has ended; sign in again.")


class JWTAuthentication(authentication.JWTAuthentication):
    """SimpleJWT bearer tokens that stop working when their user logs out.

    Logout bumps `User.session_version`; a token issued under an older version is refused, so
    unexpired access tokens die with the refresh tokens (contract section 2).
    """

    def get_validated_token(self, raw_token):
        try:
            return super().get_validated_token(raw_token)
        except InvalidToken as error:
            # SimpleJWT says "not valid for any token type"; the apps want the reason, such as
            # "Token is expired", to tell a refresh from a new sign-in.
            messages = error.detail.get("messages") if isinstance(error.detail, dict) else None
            if messages:
                raise InvalidToken(str(messages[0]["message"])) from error
            raise

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if validated_token.get(SESSION_VERSION_CLAIM) != user.session_version:
            raise AuthenticationFailed(SESSION_ENDED, code="session_ended")
        return user
