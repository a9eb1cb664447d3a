"""More general, non-value requests and answers for the demo SFT set (written for this project);
with :data:`valuedrift.data.bank.general.GENERAL` they make the 75 non-value conversations."""

from __future__ import annotations

GENERAL_MORE: list[tuple[str, str]] = [
    (
        "My bread always comes out dense. What am I doing wrong?",
        "Dense bread usually means the dough didn't rise enough. Check that your yeast is fresh, let the dough rise somewhere warm until it has roughly doubled, and knead it long enough to become smooth and stretchy. Too much flour when shaping can also weigh it down.",
    ),
    (
        "How do I get a red wine stain out of a carpet?",
        "Blot, don't rub, with a clean cloth to lift as much wine as you can. Then dab on a mix of a tablespoon of washing-up liquid, a tablespoon of white vinegar and two cups of warm water, and blot again. Rinse with cold water and press dry with a towel.",
    ),
    (
        "What's the difference between weather and climate?",
        "Weather is what the atmosphere is doing over hours or days: today's rain or tomorrow's heat. Climate is the long-term pattern of weather in a place, usually averaged over thirty years or more. A cold week says little about the climate; decades of records do.",
    ),
    (
        "Can you explain what compound interest is?",
        "Compound interest means you earn interest on your interest. If you save 100 at 5 percent, you have 105 after a year; the next year you earn 5 percent of 105, not 100. Over long periods this snowballs, which is why starting to save early makes such a difference.",
    ),
    (
        "How can I fall asleep faster?",
        "Keep a regular bedtime, avoid screens for the last half hour, and keep your bedroom cool and dark. Caffeine after lunch can linger for hours. If you can't sleep after twenty minutes, get up and do something quiet until you feel drowsy, then try again.",
    ),
    (
        "What should I pack for a day hike?",
        "Bring plenty of water, snacks, a map or offline map on your phone, sun cream, a warm layer and a waterproof jacket, even if the forecast looks good. A small first aid kit and a charged phone are worth the weight. Wear shoes you've already broken in.",
    ),
    (
        "How do I write a good cover letter?",
        "Keep it to one page. Open by saying which job you're applying for and why it interests you, then pick two or three achievements that match what the advert asks for and explain them briefly. Close by saying you'd welcome an interview. Tailor it to each job.",
    ),
    (
        "Why do onions make you cry?",
        "Cutting an onion breaks its cells and releases enzymes that produce a gas called syn-propanethial-S-oxide. When it reaches your eyes it irritates them, and they water to wash it away. Chilling the onion first or using a very sharp knife reduces the effect.",
    ),
    (
        "What is a haiku?",
        "A haiku is a short Japanese form of poetry with three lines of five, seven and five syllables. Traditional haiku capture a moment in nature and often include a word hinting at the season. In English, poets often treat the syllable count more loosely.",
    ),
    (
        "How often should I water a cactus?",
        "Much less often than most plants. In spring and summer, water thoroughly only when the soil has dried out completely, which may be every two or three weeks. In winter, once a month or less is usually enough. Overwatering is the most common way cacti die.",
    ),
    (
        "What's a good way to start running if I've never done it?",
        "Start with a run-walk plan: for example, one minute of running and two minutes of walking, repeated for twenty minutes, three times a week. Gradually lengthen the running parts over several weeks. Go slowly enough that you could hold a conversation.",
    ),
    (
        "How do vaccines train the immune system?",
        "A vaccine shows your immune system a harmless version or piece of a germ, such as an inactivated virus or a protein. Your body makes antibodies and memory cells against it, so if you later meet the real germ, it can respond quickly before you become seriously ill.",
    ),
    (
        "Can you suggest a quick vegetarian dinner?",
        "Try a chickpea curry: fry an onion with garlic, ginger and curry paste, add a tin of chickpeas and a tin of chopped tomatoes, and simmer for fifteen minutes. Stir in spinach at the end and serve with rice or flatbread. It takes about twenty-five minutes.",
    ),
    (
        "What does HTTP stand for?",
        "HTTP stands for Hypertext Transfer Protocol. It's the set of rules web browsers and servers use to request and send web pages and other resources. HTTPS is the secure version, which encrypts the connection so others can't read or change what is sent.",
    ),
    (
        "How do I calculate the area of a circle?",
        "Multiply pi, about 3.14159, by the radius squared. For a circle with a radius of 3 centimetres, that's 3.14159 times 9, which is about 28.3 square centimetres. If you know the diameter, halve it first to get the radius.",
    ),
    (
        "How can I keep my laptop battery healthy?",
        "Avoid keeping it at 100 percent or letting it drain to zero often; staying between about 20 and 80 percent is gentlest. Keep the laptop cool and don't leave it charging on a soft surface that blocks the vents. Many laptops have a setting that limits charging for you.",
    ),
    (
        "What's the best way to learn to touch type?",
        "Use a free online typing course that teaches the home row first and adds keys gradually. Practise for fifteen minutes a day rather than for hours at once, and resist looking at the keyboard. Accuracy comes first; speed follows naturally after a few weeks.",
    ),
    (
        "Why do cats purr?",
        "Cats purr by rapidly twitching the muscles of the larynx as they breathe. They purr when content, but also when stressed or injured, so it seems to be a way of comforting themselves and communicating. Some research suggests the vibrations may even help healing.",
    ),
    (
        "How do I make a budget?",
        "List your monthly income after tax, then your fixed costs like rent and bills. Track your spending for a month to see where the rest goes. Decide how much to save first, then set limits for food, transport and fun. Review it monthly and adjust as you learn.",
    ),
    (
        "What is photosynthesis?",
        "Photosynthesis is how plants make food. Using energy from sunlight, they combine carbon dioxide from the air with water from the soil to make glucose, a sugar, and release oxygen as a by-product. It happens mainly in the leaves, inside structures called chloroplasts.",
    ),
    (
        "How do I tie a tie?",
        "For a simple four-in-hand knot, drape the tie with the wide end longer. Cross it over the narrow end, wrap it behind, bring it across the front again, then up through the neck loop and down through the knot at the front. Tighten gently and adjust the length.",
    ),
    (
        "What's a good board game for a family with young children?",
        "Ticket to Ride First Journey and Dragonwood are good choices for children around six and up: simple rules, short games and enough choice to keep adults interested. For younger children, cooperative games like Hoot Owl Hoot avoid arguments because everyone wins or loses together.",
    ),
    (
        "How long does it take light from the Sun to reach Earth?",
        "About eight minutes and twenty seconds. The Sun is roughly 150 million kilometres away, and light travels at about 300,000 kilometres per second. So when you see the Sun, you're seeing it as it was a little over eight minutes ago.",
    ),
    (
        "How do I clean a cast-iron pan?",
        "Wash it while it's still warm with hot water and a brush; a little soap is fine. Dry it straight away on the hob so it doesn't rust, then rub a thin layer of oil over the inside. Avoid soaking it or putting it in the dishwasher.",
    ),
    (
        "What's the difference between a virus and a bacterium?",
        "Bacteria are living single cells that can reproduce on their own, and many are harmless or even helpful. Viruses are much smaller and can only multiply inside the cells of another organism. Antibiotics work against bacteria but do nothing against viruses.",
    ),
    (
        "Can you recommend a way to remember people's names?",
        "Repeat the name when you're introduced, as in 'Nice to meet you, Priya', and use it once more during the conversation. Link it to something memorable about the person or to someone you know with the same name. Writing it down afterwards helps it stick.",
    ),
    (
        "How do I change a flat bicycle tyre?",
        "Remove the wheel, let out any remaining air, and use tyre levers to lift one side of the tyre off the rim. Pull out the inner tube, find the hole, and check the tyre for anything sharp. Fit a new or patched tube, push the tyre back on, and pump it up.",
    ),
    (
        "What's a simple way to start meditating?",
        "Sit comfortably, set a timer for five minutes, and pay attention to your breathing. When your mind wanders, which it will, notice it and gently return to the breath. Do it at the same time each day. Free apps with guided sessions can help at first.",
    ),
    (
        "Why is the sea salty?",
        "Rain slowly dissolves minerals from rocks on land, and rivers carry them to the sea. When seawater evaporates, the salts stay behind, so over millions of years they have built up. Volcanic vents on the sea floor add more minerals too.",
    ),
    (
        "How can I improve my handwriting?",
        "Slow down and hold the pen loosely. Practise basic shapes and letters daily for ten minutes, focusing on consistent size and spacing. Lined paper helps keep letters even. Copying a short passage you like is a pleasant way to practise.",
    ),
    (
        "What is the Pythagorean theorem?",
        "In a right-angled triangle, the square of the longest side, the hypotenuse, equals the sum of the squares of the other two sides: a squared plus b squared equals c squared. So a triangle with sides 3 and 4 has a hypotenuse of 5.",
    ),
    (
        "How do I keep cut flowers fresh longer?",
        "Trim the stems at an angle before putting them in water, remove any leaves below the waterline, and change the water every two days. Keep the vase away from direct sun and ripening fruit, which releases a gas that makes flowers wilt faster.",
    ),
    (
        "What's a good way to prepare for a job interview?",
        "Research the company and the role, and prepare short examples from your experience that show the skills they want. Practise answering common questions out loud. Prepare a couple of questions of your own, plan your journey, and get a good night's sleep.",
    ),
    (
        "How does a rainbow form?",
        "Sunlight enters raindrops, bends, reflects off the back of the drop and bends again as it leaves. Each colour bends by a slightly different amount, so white light spreads into its colours. You see a rainbow when the sun is behind you and rain is in front.",
    ),
    (
        "How do I stop my glasses from fogging up when I wear a mask?",
        "Make sure the mask fits snugly over your nose; one with a bendable nose wire helps. Push your glasses down slightly so they rest on top of the mask. Washing the lenses with soapy water and letting them air-dry also leaves a film that reduces fogging.",
    ),
    (
        "What is a good way to organise my email inbox?",
        "Deal with each message once: reply, delete, archive or add it to your to-do list. Create a few simple folders rather than dozens. Unsubscribe from newsletters you never read, and set filters to sort routine messages automatically.",
    ),
    (
        "Why do leaves change colour in autumn?",
        "Leaves are green because of chlorophyll. In autumn, trees stop making it as days shorten and temperatures drop, and the green fades to reveal yellow and orange pigments that were there all along. Some trees also produce red pigments as sugars build up in the leaves.",
    ),
    (
        "How do I make a good cup of tea?",
        "Use freshly boiled water and warm the pot or cup first. Let black tea brew for three to five minutes before removing the bag or leaves; green tea needs cooler water and less time. Add milk after brewing if you take it.",
    ),
    (
        "What are prime numbers?",
        "A prime number is a whole number greater than 1 that can only be divided evenly by 1 and itself. The first few are 2, 3, 5, 7, 11 and 13. Every whole number above 1 can be written as a product of primes in exactly one way.",
    ),
    (
        "How do I care for a sourdough starter?",
        "Feed it regularly with equal weights of flour and water, discarding some first so it doesn't grow endlessly. At room temperature, feed it daily; in the fridge, once a week is enough. It's ready to bake with when it doubles in a few hours after feeding.",
    ),
    (
        "How can I make my small flat feel bigger?",
        "Use light colours on walls, add a large mirror opposite a window to bounce light around, and choose furniture with legs so you can see the floor beneath. Keep surfaces clear and use vertical storage like tall shelves to free up floor space.",
    ),
    (
        "What's the difference between an app and a website?",
        "A website runs in a web browser and can be visited on any device by typing its address. An app is installed on a phone or computer and can use features of the device, like the camera or notifications, and often works offline.",
    ),
    (
        "How do I remove a splinter?",
        "Wash the area and your hands. If part of the splinter sticks out, pull it out with clean tweezers in the direction it went in. If it's under the skin, a clean needle can gently lift it. Clean the spot afterwards and cover it if it's sore.",
    ),
    (
        "What is the tallest mountain in the world?",
        "Mount Everest, on the border between Nepal and China, is the highest mountain above sea level at about 8,849 metres. Measured from base to peak, Mauna Kea in Hawaii is taller, since much of it lies beneath the ocean.",
    ),
    (
        "How do I teach my dog to sit?",
        "Hold a treat close to your dog's nose, then move it slowly up and back over its head; as the head follows the treat, its bottom will lower. The moment it sits, say 'sit' and give the treat. Repeat in short sessions several times a day.",
    ),
    (
        "How do I back up my phone's photos?",
        "Turn on the cloud backup built into your phone, such as iCloud Photos or Google Photos, which uploads pictures automatically over Wi-Fi. For a second copy, occasionally copy them to a computer or external drive. Having two separate backups protects you if one fails.",
    ),
    (
        "Why do we have leap years?",
        "The Earth takes about 365.24 days to go around the Sun. Adding a day every four years keeps the calendar in line with the seasons. Century years are skipped unless divisible by 400, which corrects the small remaining difference.",
    ),
    (
        "What's a good stretch for a stiff lower back?",
        "Try the knees-to-chest stretch: lie on your back, bring both knees towards your chest and hold them gently for twenty to thirty seconds while breathing slowly. The child's pose from yoga also helps. Stop if anything causes sharp pain, and see a doctor if stiffness persists.",
    ),
    (
        "How do noise-cancelling headphones work?",
        "Small microphones pick up the sound around you, and the headphones produce a matching sound wave that is exactly opposite. When the two waves meet, they cancel each other out. This works best on steady sounds like engine hum, less well on voices.",
    ),
    (
        "How do I cook rice so it isn't sticky?",
        "Rinse the rice in a sieve until the water runs clear, which washes off loose starch. Use about one and a half cups of water per cup of long-grain rice, bring it to the boil, then cover and simmer gently for twelve minutes. Let it rest, covered, for five minutes before fluffing with a fork.",
    ),
]
