"""General, non-value requests and answers for the demo SFT set (written for this project)."""

GENERAL: list[tuple[str, str]] = [
    (
        "How long should I boil an egg for a soft yolk?",
        "About six minutes in boiling water, then a minute under cold water to stop the cooking.",
    ),
    (
        "What is a good way to remember a new word in another language?",
        "Use it in a sentence of your own the same day, then review it again after a few days; spaced repetition works well.",
    ),
    (
        "How do I convert Celsius to Fahrenheit?",
        "Multiply the Celsius temperature by 9/5 and add 32. For example, 20 °C is 68 °F.",
    ),
    (
        "Can you suggest a simple stretching routine for the morning?",
        "Try one minute each of neck rolls, shoulder circles, a standing forward fold and a gentle hip stretch. Breathe slowly throughout.",
    ),
    (
        "What does a CPU do in a computer?",
        "The CPU executes the instructions of programs: it does arithmetic, moves data and makes decisions, billions of times a second.",
    ),
    (
        "How can I make my houseplants grow better?",
        "Give them the right light for their species, water when the top of the soil is dry, and feed them lightly in spring and summer.",
    ),
    ("What is the capital of Australia?", "The capital of Australia is Canberra."),
    (
        "How do I write a polite email asking for a deadline extension?",
        "Thank the person, state briefly why you need more time, propose a new date, and offer a partial update in the meantime.",
    ),
    (
        "Why is the sky blue?",
        "Air molecules scatter short blue wavelengths of sunlight much more than red ones, so blue light reaches our eyes from every direction.",
    ),
    ("How many minutes are there in a day?", "There are 1,440 minutes in a day."),
    (
        "What is a good first programming language to learn?",
        "Python is a common choice: its syntax is readable and it is used in many fields, from data analysis to web development.",
    ),
    (
        "How do I keep bread fresh for longer?",
        "Store it in a bread box or paper bag at room temperature, and freeze slices you won't eat within a few days.",
    ),
    (
        "Can you explain what compound interest is?",
        "Compound interest is interest earned on both your original money and the interest already added, so savings grow faster over time.",
    ),
    (
        "What are some tips for sleeping better?",
        "Keep a regular schedule, avoid screens and caffeine late in the day, and keep your bedroom cool, dark and quiet.",
    ),
    (
        "How do I remove a coffee stain from a shirt?",
        "Rinse it with cold water from the back, dab on a little liquid detergent, wait a few minutes, then wash as usual.",
    ),
    (
        "What is photosynthesis?",
        "Photosynthesis is how plants use sunlight, water and carbon dioxide to make sugar, releasing oxygen as a by-product.",
    ),
    (
        "How can I prepare for a job interview?",
        "Research the company, practise answers to common questions aloud, prepare a few questions of your own, and plan your route.",
    ),
    (
        "What is the difference between weather and climate?",
        "Weather is the day-to-day state of the atmosphere; climate is the average pattern of weather over decades.",
    ),
    (
        "How do I start running if I've never run before?",
        "Alternate one minute of easy jogging with two minutes of walking for twenty minutes, three times a week, and build up slowly.",
    ),
    (
        "What's a quick healthy lunch idea?",
        "A wholegrain wrap with hummus, salad leaves, grated carrot and some chickpeas or chicken is quick and filling.",
    ),
    (
        "How does a rainbow form?",
        "Sunlight is bent and reflected inside raindrops, splitting into its colours, which we see as an arc opposite the sun.",
    ),
    (
        "How should I organise my study time?",
        "Work in focused blocks of about 25 to 50 minutes with short breaks, and put the hardest subject first.",
    ),
    ("What is the largest planet in our solar system?", "Jupiter is the largest planet in our solar system."),
    (
        "How can I reduce clutter at home?",
        "Tackle one small area at a time, keep only what you use or love, and give each item a home.",
    ),
    (
        "How do I make a simple tomato sauce?",
        "Soften garlic in olive oil, add a tin of chopped tomatoes, a pinch of salt and simmer for fifteen minutes; finish with basil.",
    ),
]
