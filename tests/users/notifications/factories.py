import factory

from tests.factories import UserFactory
from users.notifications.models import DeviceToken, Notification, NotificationCategory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    category = NotificationCategory.FOLLOWS
    title = factory.Sequence(lambda n: f"Notification {n}")
    message = "Something happened."
    key = factory.Sequence(lambda n: f"test:{n}")


class DeviceTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeviceToken

    user = factory.SubFactory(UserFactory)
    device_id = factory.Sequence(lambda n: f"device-{n}")
    token = factory.Sequence(lambda n: f"token-{n}")
    platform = "ios"
