"""A small shop seeded from its requirements alone (see seeding.py: no fill method, no create()).

It holds every relation kind an automatic fill handles: reverse foreign keys and a reverse
one-to-one, many-to-many forward, reverse, self (not symmetrical) and through a model with extra
fields, unique_together and UniqueConstraint, choices and validators, auto_now and auto_now_add,
and required foreign keys besides the parent.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Customer(models.Model):
    class Tier(models.TextChoices):
        BASIC = "basic", "Basic"
        GOLD = "gold", "Gold"

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=40)
    last_name = models.CharField(max_length=40)
    tier = models.CharField(max_length=10, choices=Tier.choices)
    joined_at = models.DateTimeField(auto_now_add=True)
    favorites = models.ManyToManyField("Product", through="Favorite", related_name="favorited_by")

    def __str__(self) -> str:
        return self.email


class Tag(models.Model):
    name = models.CharField(max_length=30, unique=True)

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LIVE = "live", "Live"

    sku = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=60)
    description = models.TextField()
    price = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(validators=[MaxValueValidator(500)])
    status = models.CharField(max_length=5, choices=Status.choices)
    seller = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="products")
    tags = models.ManyToManyField(Tag, related_name="products")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.sku


class Profile(models.Model):
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="profile")
    bio = models.TextField()
    website = models.URLField()
    follows = models.ManyToManyField(
        "self", symmetrical=False, related_name="followers", blank=True
    )

    def __str__(self) -> str:
        return f"profile of {self.customer_id}"


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", "Placed"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"

    #: A natural key nobody sets: drawn from the customer's key and the order's ordinal, so
    #: the order's own targets (a distribution) never depend on an allocated primary key.
    number = models.CharField(max_length=12, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    status = models.CharField(max_length=10, choices=Status.choices)
    placed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"order {self.pk}"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="order_items")
    quantity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    unit_price = models.DecimalField(max_digits=7, decimal_places=2)

    class Meta:
        unique_together = (("order", "product"),)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


class Review(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(choices=[(n, str(n)) for n in range(1, 6)])
    title = models.CharField(max_length=80)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("product", "author"), name="one_review_per_author"),
        )

    def __str__(self) -> str:
        return self.title


class Favorite(models.Model):
    """An explicit through model with fields of its own."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    note = models.CharField(max_length=100)
    priority = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("customer", "product"), name="one_favorite_each"),
        )

    def __str__(self) -> str:
        return f"{self.customer_id} likes {self.product_id}"
