from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    """Signup, find-my-workspace, the welcome hand-off; later the import wizards."""

    name = "onboarding"
    verbose_name = "Onboarding"
