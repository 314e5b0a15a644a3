#!/usr/bin/env python3
"""Writes a users file and a products file in the shipped files' shape (data/users.json,
data/products.json), of any size, the same for the same arguments: for measuring the simulator
at scale.

    scripts/make-catalog.py USERS PRODUCTS OUT_DIR
    USERS_FILE=OUT_DIR/users.json PRODUCTS_FILE=OUT_DIR/products.json run-multiple-producers ...
"""
import json
import random
import sys
from pathlib import Path

CATEGORIES = ["Beauty", "Books", "Clothing", "Electronics", "Grocery", "Home & Kitchen",
              "Sports", "Toys"]
BRANDS = ["Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay",
          "Stark", "Wayne", "Tyrell", "Soylent"]
ADJECTIVES = ["Classic", "Pro", "Mini", "Ultra", "Smart", "Eco", "Deluxe", "Compact", "Wireless",
              "Organic", "Premium", "Travel"]
NOUNS = ["Lamp", "Mug", "Jacket", "Novel", "Speaker", "Ball", "Puzzle", "Serum", "Kettle",
         "Backpack", "Headphones", "Tea", "Blender", "Sneakers", "Notebook", "Drone"]
FIRST = ["Ana", "Bruno", "Carla", "Diego", "Eva", "Farid", "Grace", "Hugo", "Ines", "Jonas"]
LAST = ["Okafor", "Cohen", "Muller", "Silva", "Tanaka", "Novak", "Haddad", "Larsen", "Rossi"]


def products(count, rng):
    width = len(str(count))
    for i in range(1, count + 1):
        yield {
            "product_id": f"P{i:0{width}d}",
            "name": f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {i}",
            "category": rng.choice(CATEGORIES),
            "price": round(rng.uniform(1, 1500), 2),
            "brand": rng.choice(BRANDS),
            "stock": rng.randint(1, 500),
        }


def users(count, rng):
    width = len(str(count))
    for i in range(1, count + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        yield {
            "user_id": f"U{i:0{width}d}",
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}.{i}@example.com",
            "region": rng.choice(["North", "South", "East", "West"]),
            "customer_type": rng.choices(["Regular", "Premium", "VIP"], [70, 22, 8])[0],
            "age": rng.randint(18, 80),
            "interests": rng.sample(CATEGORIES, rng.randint(0, 3)),
        }


def write(path, entries):
    with open(path, "w") as out:
        out.write("[\n")
        for n, entry in enumerate(entries):
            out.write((",\n" if n else "") + json.dumps(entry))
        out.write("\n]\n")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    user_count, product_count, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{user_count}x{product_count}")
    write(out / "products.json", products(product_count, rng))
    write(out / "users.json", users(user_count, rng))


if __name__ == "__main__":
    main()
