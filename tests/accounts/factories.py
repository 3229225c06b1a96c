import factory
from allauth.account.models import EmailAddress

from accounts.models import CreatorProfile, Membership, MembershipRole, Organization, Role, User
from tests.helpers import DEFAULT_PASSWORD


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    role = Role.CREATOR
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=extracted is not False
            )


class CreatorFactory(UserFactory):
    role = Role.CREATOR
    profile = factory.RelatedFactory(
        "tests.accounts.factories.CreatorProfileFactory", factory_related_name="user"
    )


class CreatorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreatorProfile

    display_name = factory.Sequence(lambda n: f"Creator {n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class BuyerFactory(UserFactory):
    role = Role.BUYER
    membership = factory.RelatedFactory(
        "tests.accounts.factories.MembershipFactory",
        factory_related_name="user",
        role=MembershipRole.OWNER,
    )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    role = MembershipRole.MEMBER


class StaffFactory(UserFactory):
    role = Role.STAFF
    is_staff = True
    is_superuser = True
