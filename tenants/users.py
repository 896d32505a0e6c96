"""How a user is named on pages and in mail: by email, the login of LLMscope."""


def display_name(user) -> str:
    return user.email or user.get_username()
