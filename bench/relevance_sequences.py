"""Hand-written Teaching-for-Mastery sequences for the relevance benchmark (plain data).

One entry per co-planned sequence, written the way primary Work Groups write them: a year group,
a strand, ready-to-progress codes and PD segments, lessons (title and key learning point) and the
sequence's shared material (vocabulary, representations, difficult points, stem sentences,
questions for deeper thinking). ``relevance_corpus`` turns them into lessons and sequences.

Fractions are written as ``{3/4}``: each document shows them as ``3/4``, ``$\\frac{3}{4}$`` or in
words, as teachers do. Compound forms listed in ``relevance_corpus.VARIANTS`` (``2-digit``...)
are varied per document the same way. Nothing here was written with any search engine in mind.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Spec:
    year: str
    strand: str
    rtp: tuple[str, ...]
    segments: tuple[str, ...]
    title: str
    lessons: tuple[tuple[str, str], ...]
    vocab: tuple[str, ...]
    reps: tuple[str, ...]
    difficult: tuple[str, ...]
    stems: tuple[str, ...]
    questions: tuple[str, ...]
    overview: str
    #: Academic years it was (re)planned in; empty: one year picked by the seeded generator.
    years: tuple[str, ...] = ()


SPECS: tuple[Spec, ...] = (
    # ---- Reception ----------------------------------------------------------------------
    Spec(
        "R", "early-number", (), ("1.1", "1.3"),
        "Reception: counting and subitising to 5",
        (
            ("Counting objects one by one", "Each object is counted once, and the last number "
             "said tells us how many there are."),
            ("Subitising dot patterns up to 5", "Small groups can be seen without counting."),
            ("Counting on a five frame", "A full five frame shows 5; we can see how many "
             "spaces are empty."),
            ("How many? Counting sounds and actions", "We can count things we cannot touch, "
             "like claps and jumps."),
        ),
        ("count", "how many", "one more", "subitise", "five frame", "altogether"),
        ("five frame", "dot cards", "counting bears", "rekenrek", "fingers"),
        ("Counting an object twice or missing one out when objects are not in a line",
         "Saying the number names without matching one count to one object",
         "Thinking the total changes when the objects are spread out"),
        ("I can see __. I know there are __ without counting.", "The last number I say is "
         "how many there are."),
        ("Are there more red or more blue? How do you know?", "Show me 4 in a different way."),
        "Early counting: one-to-one correspondence, cardinality and subitising within 5, with "
        "daily Mastering Number routines on the rekenrek.",
    ),
    Spec(
        "R", "early-number", (), ("1.2", "1.3", "1.4"),
        "Reception: composition of numbers to 10",
        (
            ("Five is made of smaller numbers", "5 can be split into two parts in different "
             "ways."),
            ("Doubles to 10", "A double is two equal parts; double 3 is 6."),
            ("Making 10 on a ten frame", "A full ten frame is 10; the empty spaces show the "
             "other part."),
            ("Counting back from 10", "When we count back, each number is one less."),
        ),
        ("part", "whole", "double", "one less", "ten frame", "make"),
        ("ten frame", "part-whole model", "double-sided counters", "fingers", "Numicon"),
        ("Thinking a number can only be made one way",
         "Counting all the dots again instead of seeing the parts"),
        ("__ is made of __ and __.", "Double __ is __."),
        ("How many ways can you make 6?", "Is 7 a double? Why not?"),
        "Reception children explore how numbers to 10 are composed, building towards number "
        "bonds in Year 1.",
    ),
    # ---- Year 1 -------------------------------------------------------------------------
    Spec(
        "Y1", "NF", ("1NF-1",), ("1.4", "1.5"),
        "Year 1: number bonds within 10",
        (
            ("Number bonds to 10 on a ten frame", "The two parts that make 10 can be seen on a "
             "ten frame: 7 and 3 make 10."),
            ("Part-whole model: bonds of 10", "If we know one part and the whole, we can find "
             "the missing part."),
            ("Bonds to 10 using a bead string", "Moving beads shows every pair that makes 10 "
             "in order."),
            ("Missing number problems within 10", "6 + __ = 10 asks for the missing part."),
            ("Number bonds to 5 and 6", "Every number within 10 has bonds; 5 is 4 and 1, 3 "
             "and 2."),
        ),
        ("number bond", "part", "whole", "missing number", "equals", "fact family"),
        ("ten frame", "part-whole model", "bead string", "rekenrek", "cubes", "number track"),
        ("Thinking the equals sign means 'the answer comes next', so 10 = 7 + 3 looks wrong",
         "Recounting from 1 rather than using a known bond",
         "Listing bonds to 10 randomly and missing some"),
        ("__ and __ is a bond to 10.", "If the whole is 10 and one part is __, the other part "
         "is __."),
        ("How do you know you have found all the number bonds to 10?",
         "Is 10 = 4 + 6 true? Convince me."),
        "Number bonds within 10, taught from the part-whole structure towards fluent recall.",
        ("2025/26",),
    ),
    Spec(
        "Y1", "AS", ("1NF-2",), ("1.6", "1.8"),
        "Year 1: subtraction as take away and as difference",
        (
            ("Take away: crossing out", "Subtraction can mean taking away; we cross out what "
             "is taken away and count what is left."),
            ("Subtraction as finding a part", "If we know the whole and one part, subtracting "
             "finds the other part."),
            ("Counting back on a number line", "Taking away 3 is 3 jumps back on a number "
             "line."),
            ("Finding the difference", "Subtraction can compare two amounts: the difference "
             "is how many more."),
        ),
        ("subtract", "take away", "minus", "difference", "left", "fewer"),
        ("number line", "bar model", "counters", "ten frame", "cubes"),
        ("Counting the starting number as the first jump when counting back",
         "Thinking subtraction always makes things smaller, so 'difference' confuses them",
         "Taking the smaller number from the larger whatever the order"),
        ("I had __, __ were taken away, now there are __.", "The difference between __ and __ "
         "is __."),
        ("Tell a take away story for 8 - 3.", "Which is easier: 9 - 8 by taking away or by "
         "finding the difference?"),
        "Subtraction structures in Year 1: take away (reduction), partitioning and difference.",
    ),
    Spec(
        "Y1", "NPV", ("1NPV-1", "1NPV-2"), ("1.10",),
        "Year 1: numbers 11 to 19 as ten and some more",
        (
            ("Teen numbers are ten and some ones", "13 is 10 and 3 more."),
            ("Representing teen numbers with Dienes", "A ten rod and some ones show a teen "
             "number."),
            ("Comparing numbers to 20", "The number with more ones after the ten is greater."),
            ("Counting to 20 on a number track", "Each number is one more than the number "
             "before."),
        ),
        ("ten", "ones", "teen", "greater than", "less than", "compare"),
        ("Dienes", "ten frames", "bead string", "number track", "straws bundled in tens"),
        ("Reading 13 as 'thirty' or writing 31 for thirteen",
         "Counting every cube in ones rather than seeing the ten"),
        ("__ is 10 and __ more.", "__ is greater than __ because..."),
        ("Which is greater, 12 or 21?", "Show 16 in two different ways."),
        "Composition of 11-19: ten and some more, building place value.",
    ),
    Spec(
        "Y1", "G", ("1G-1", "1G-2"), (),
        "Year 1: recognising 2-D and 3-D shapes",
        (
            ("Sorting 2D shapes", "We can sort shapes by the number of sides and corners."),
            ("Naming 3D shapes", "A cube, cuboid, sphere, cone and cylinder have different "
             "faces."),
            ("Shapes in different orientations", "A square is still a square when it is "
             "turned."),
            ("Making patterns with shapes", "A repeating pattern of shapes has a unit that "
             "repeats."),
        ),
        ("square", "rectangle", "triangle", "circle", "cube", "side", "corner", "face"),
        ("shape sorting hoops", "feely bag", "pattern blocks", "geoboards"),
        ("Thinking a square turned on its corner is a diamond and not a square",
         "Believing a triangle must have a flat base",
         "Naming a 3D cube a 'square'"),
        ("A __ has __ sides.", "It is still a __ because it has..."),
        ("Is this a triangle? Why or why not?", "What is the same and what is different about "
         "these shapes?"),
        "Properties of shape in Year 1, with non-examples and shapes in different "
        "orientations.",
    ),
    Spec(
        "Y1", "measurement", (), (),
        "Year 1: o'clock and half past",
        (
            ("Telling the time to the hour", "When the minute hand points to 12, it is o'clock."),
            ("Half past on an analogue clock", "When the minute hand points to 6, it is half "
             "past the hour."),
            ("Ordering events in the day", "We can put events in order using before and after."),
            ("Days of the week", "There are seven days in a week and they come in order."),
        ),
        ("o'clock", "half past", "hour hand", "minute hand", "before", "after"),
        ("analogue clock", "geared clock", "clock faces", "daily timetable pictures"),
        ("Reading the minute hand as the hour",
         "Thinking half past means the hour hand points straight at the number"),
        ("The hour hand is pointing to __, so it is __ o'clock.", "It is half past __."),
        ("Which takes longer: brushing teeth or a night's sleep?", "Draw the hands for half "
         "past 3."),
        "Telling the time to the hour and half hour, with real clocks.",
    ),
    # ---- Year 2 -------------------------------------------------------------------------
    Spec(
        "Y2", "NPV", ("2NPV-1", "2NPV-2"), ("1.11", "1.14"),
        "Year 2: partitioning 2-digit numbers",
        (
            ("Partitioning 2-digit numbers into tens and ones", "47 is 4 tens and 7 ones; "
             "47 = 40 + 7."),
            ("Flexible partitioning of 2-digit numbers", "47 can also be 30 + 17 or 20 + 27."),
            ("Partitioning on a part-whole model", "The whole is the number; the parts can be "
             "tens and ones or any two numbers."),
            ("Place value on a number line to 100", "Numbers to 100 have a position on a "
             "number line between two multiples of ten."),
        ),
        ("tens", "ones", "partition", "place value", "digit", "exchange"),
        ("Dienes", "place value counters", "part-whole model", "place value chart",
         "number line"),
        ("Thinking 47 can only be partitioned as 40 and 7",
         "Reading the digit 4 in 47 as 4 rather than 40",
         "Forgetting zero as a place holder when writing 40 + 7 as 407"),
        ("__ is made of __ tens and __ ones.", "__ can be partitioned into __ and __."),
        ("How many ways can you partition 56?", "Is 30 + 17 the same as 47? Prove it."),
        "Place value and partitioning 2-digit numbers, standard and non-standard.",
        ("2024/25", "2026/27"),
    ),
    Spec(
        "Y2", "NF", ("2NF-1",), ("1.12",),
        "Year 2: number bonds to 20 and to 100",
        (
            ("Using bonds of 10 to find bonds of 20", "If 7 + 3 = 10 then 17 + 3 = 20."),
            ("Bonds to 100 in tens", "Because 6 + 4 = 10, 60 + 40 = 100."),
            ("Number bonds to 100 with ones", "To make 100 from 63 we need 7 ones and 3 tens."),
            ("Fact families for addition and subtraction", "One bond gives two additions and "
             "two subtractions."),
        ),
        ("number bond", "fact family", "related fact", "inverse", "multiple of ten"),
        ("ten frames", "bead string to 100", "hundred square", "Dienes", "part-whole model"),
        ("Making 100 from 63 as 37 wrongly as 47 (forgetting the exchange of the ten)",
         "Thinking related facts must be worked out again from scratch"),
        ("If I know __ + __ = 10, I also know __ + __ = 100.", "__ and __ are a bond to 20."),
        ("What is the same and what is different about 4 + 6 and 40 + 60?",
         "How many bonds to 100 can you find using multiples of 10?"),
        "Number facts: secure bonds within 10, then use them for 20 and 100.",
    ),
    Spec(
        "Y2", "AS", ("2AS-1", "2AS-2", "2AS-3"), ("1.9", "1.13"),
        "Year 2: adding and subtracting across ten",
        (
            ("Adding a 1-digit number to a 2-digit number bridging 10", "To add 8 to 37, "
             "make the next ten first: 37 + 3 + 5."),
            ("Subtracting by bridging back through ten", "52 - 7: subtract 2 to reach 50, "
             "then 5 more."),
            ("Adding two 2-digit numbers", "Add the tens, then the ones, then combine."),
            ("Checking subtraction with addition", "Addition is the inverse of subtraction, "
             "so we can check."),
        ),
        ("bridge", "add", "subtract", "inverse", "tens", "ones", "number bond"),
        ("number line", "ten frames", "Dienes", "bar model", "part-whole model"),
        ("Counting on in ones instead of bridging through 10",
         "Subtracting the smaller digit from the larger in each column (52 - 7 = 55)"),
        ("First I make 10, then I add the rest.", "I can check __ - __ = __ with __ + __ = __."),
        ("Which number bond helps you with 46 + 7?", "Why does 60 - 8 give 52?"),
        "Addition and subtraction across 10 using number bonds and the number line.",
    ),
    Spec(
        "Y2", "MD", ("2MD-1", "2MD-2"), ("2.2", "2.6"),
        "Year 2: equal groups, grouping and sharing",
        (
            ("Recognising equal groups", "Multiplication describes equal groups: the number "
             "of groups and the size of each group."),
            ("Multiplication as repeated addition", "3 groups of 5 is 5 + 5 + 5 = 15."),
            ("Arrays and commutativity", "An array can be read as 3 rows of 4 or 4 columns of "
             "3: 3 x 4 = 4 x 3."),
            ("Sharing equally", "Sharing 12 between 3 puts the same number in each group: "
             "12 ÷ 3 = 4."),
            ("Grouping: how many groups of 5?", "Division can ask how many groups of 5 there "
             "are in 20."),
        ),
        ("equal groups", "groups of", "array", "multiply", "share", "divide", "commutative"),
        ("counters", "arrays of cubes", "egg boxes", "bar model", "number line with jumps"),
        ("Treating unequal groups as multiplication",
         "Confusing the number of groups with the size of a group",
         "Mixing up sharing and grouping stories for the same division"),
        ("There are __ groups of __.", "__ shared equally between __ is __ each."),
        ("Can 13 be shared equally between 2? Why not?", "Write a grouping story and a "
         "sharing story for 15 ÷ 3."),
        "Multiplication and division structures (segment 2.2 and 2.6: quotitive and "
        "partitive division).",
        ("2024/25",),
    ),
    Spec(
        "Y2", "MD", ("2MD-1",), ("2.3", "2.4"),
        "Year 2: the 2, 5 and 10 times tables",
        (
            ("Counting in twos", "Counting in 2s gives the 2 times table; the products are "
             "even."),
            ("The 5 times table", "Multiples of 5 end in 0 or 5."),
            ("The 10 times table", "Multiplying by 10 gives multiples of 10."),
            ("Odd and even numbers", "Even numbers can be split into groups of two with none "
             "left over."),
        ),
        ("times table", "multiple", "product", "odd", "even", "count in"),
        ("coins", "number line", "hundred square", "bead string", "arrays"),
        ("Reciting the table without linking it to equal groups",
         "Thinking all multiples of 5 are odd"),
        ("__ groups of 5 is __.", "Multiples of 10 always end in __."),
        ("Is 35 in the 10 times table? How do you know?", "What do you notice about the 5 and "
         "10 times tables?"),
        "Times tables 2, 5 and 10 from counting, coins and arrays.",
    ),
    Spec(
        "Y2", "F", ("2F-1",), ("3.0",),
        "Year 2: halves, quarters and thirds",
        (
            ("Finding half of a shape", "Half means 2 equal parts; {1/2} of a shape."),
            ("Finding a quarter of an amount", "A quarter is one of 4 equal parts: {1/4} of 12 "
             "is 3."),
            ("Recognising {3/4}", "{3/4} is three of four equal parts."),
            ("Unit fractions of a set", "{1/3} of 9 is 3 because 9 is shared into 3 equal "
             "groups."),
            ("Halves and quarters of lengths", "We can fold a strip to find a half and a "
             "quarter of its length."),
        ),
        ("half", "quarter", "third", "equal parts", "whole", "fraction"),
        ("paper folding", "fraction strips", "counters", "bar model", "clock faces for "
         "quarters"),
        ("Thinking any two parts are halves even when they are not equal",
         "Saying {1/4} is bigger than {1/2} because 4 is bigger than 2"),
        ("The whole is divided into __ equal parts. Each part is one __ of the whole.",
         "__ of the __ equal parts are shaded."),
        ("Is this shape cut into quarters? Explain.", "Which is more: half of 8 or a quarter of "
         "12?"),
        "Fractions in Year 2: halves, quarters and thirds of shapes, sets and lengths.",
    ),
    Spec(
        "Y2", "measurement", (), (),
        "Year 2: money - pounds and pence",
        (
            ("Recognising coins", "Each coin has a value; the biggest coin is not always "
             "worth the most."),
            ("Making amounts in pence", "Different sets of coins can make the same amount."),
            ("Finding change from £1", "Change is the difference between what we pay and the "
             "price."),
            ("Comparing amounts of money", "We compare pounds first, then pence."),
        ),
        ("pounds", "pence", "coins", "notes", "change", "total"),
        ("real coins", "price labels", "number line", "bar model", "class shop"),
        ("Thinking a 2p coin is worth more than a 5p because it is bigger",
         "Counting coins as ones (three coins = 3p)"),
        ("The total is __ pence.", "I paid __, the price was __, so my change is __."),
        ("How many ways can you make 20p?", "Sam has 3 coins totalling 17p. Which coins?"),
        "Money: recognise coins and notes, make amounts and find change.",
    ),
    Spec(
        "Y2", "measurement", (), (),
        "Year 2: telling the time to five minutes",
        (
            ("Quarter past and quarter to", "Quarter past: the minute hand has moved a quarter "
             "turn."),
            ("Telling the time to 5 minutes on an analogue clock", "The minute hand counts in "
             "fives around the clock face."),
            ("Minutes in an hour", "There are 60 minutes in an hour."),
            ("Duration: how long did it take?", "We can count on in fives to find how long "
             "something took."),
        ),
        ("quarter past", "quarter to", "minutes", "hour", "analogue clock"),
        ("geared clocks", "clock faces", "number line in fives", "sand timers"),
        ("Reading the minute hand number (3) as 3 minutes rather than 15",
         "Moving the hour hand straight to the next number at quarter to"),
        ("The minute hand points to __, so it is __ minutes past.", "It is quarter to __."),
        ("Why is quarter past 15 minutes past?", "Draw 25 minutes past 4."),
        "Time to five minutes on an analogue clock, with quarter past and quarter to.",
    ),
    Spec(
        "Y2", "statistics", (), (),
        "Year 2: pictograms and tally charts",
        (
            ("Making tally charts", "A tally groups marks in fives to count quickly."),
            ("Reading pictograms", "In a pictogram one symbol can stand for more than one."),
            ("Block diagrams", "A block diagram shows each count as a column of blocks."),
            ("Asking questions about data", "We can compare totals and find how many more."),
        ),
        ("tally", "pictogram", "block diagram", "data", "key", "most popular"),
        ("tally charts", "pictograms", "block diagrams", "cubes as blocks"),
        ("Ignoring the key when each symbol stands for 2",
         "Counting tally groups as 4 instead of 5"),
        ("The most popular __ was __.", "__ more children chose __ than __."),
        ("What question could this pictogram answer?", "Why might we use a key?"),
        "Statistics: collecting data and showing it in tallies, pictograms and block diagrams.",
    ),
    Spec(
        "Y2", "measurement", (), (),
        "Year 2: length, mass and capacity",
        (
            ("Measuring length in centimetres", "We line up the ruler at 0."),
            ("Comparing mass in grams and kilograms", "Heavier things have a greater mass."),
            ("Reading scales", "Scales have intervals; we work out what each mark is worth."),
            ("Capacity in millilitres and litres", "Capacity is how much a container holds."),
        ),
        ("centimetre", "metre", "gram", "kilogram", "litre", "millilitre", "scale"),
        ("rulers", "balance scales", "measuring jugs", "number line as a scale"),
        ("Starting to measure from 1 rather than 0 on the ruler",
         "Counting the marks on a scale instead of the intervals"),
        ("The __ is __ cm long.", "Each interval is worth __."),
        ("Which is heavier, 1 kg of feathers or 1 kg of bricks?", "Estimate then measure."),
        "Measures: length, mass and capacity with standard units and reading scales.",
    ),
    # ---- Year 3 -------------------------------------------------------------------------
    Spec(
        "Y3", "NPV", ("3NPV-1", "3NPV-2"), ("1.19",),
        "Year 3: three-digit numbers",
        (
            ("Hundreds, tens and ones with Dienes", "A 3-digit number is made of hundreds, "
             "tens and ones."),
            ("Partitioning 3-digit numbers", "352 is 300 + 50 + 2, or 200 + 150 + 2."),
            ("Comparing and ordering three-digit numbers", "Compare hundreds first, then tens, "
             "then ones."),
            ("Counting in 50s and 100s", "Counting in hundreds changes the hundreds digit."),
        ),
        ("hundreds", "tens", "ones", "place value", "digit", "partition", "compare"),
        ("Dienes", "place value counters", "place value grid", "number line to 1000"),
        ("Writing three hundred and five as 3005",
         "Comparing numbers by their first digit only when they have different numbers of "
         "digits"),
        ("The __ digit is worth __.", "__ is greater than __ because it has more hundreds."),
        ("What is the largest 3-digit number you can make with 4, 0 and 7?",
         "Partition 406 in three ways."),
        "Place value to 1,000 with Dienes and counters.",
    ),
    Spec(
        "Y3", "AS", ("3AS-1", "3AS-3"), ("1.15", "1.16"),
        "Year 3: column addition and subtraction",
        (
            ("Column addition without regrouping", "Line up the digits by place value; add "
             "the ones first."),
            ("Column addition with exchange", "Ten ones are exchanged for one ten."),
            ("Column subtraction with exchange", "When there are not enough ones, exchange a "
             "ten for ten ones."),
            ("Estimating and checking answers", "Rounding first tells us roughly what the "
             "answer should be."),
        ),
        ("column method", "exchange", "regroup", "subtract", "add", "estimate", "inverse"),
        ("Dienes", "place value counters", "place value grid", "bar model"),
        ("Subtracting the smaller digit from the larger in each column instead of exchanging",
         "Forgetting to record the exchanged ten",
         "Misaligning digits when numbers have different lengths"),
        ("I cannot take __ from __, so I exchange one ten for ten ones.",
         "I estimate the answer is about __."),
        ("Why do we start with the ones?", "Find the mistake in 403 - 158 = 355."),
        "Column addition and subtraction with exchange, grounded in place value.",
        ("2023/24", "2025/26"),
    ),
    Spec(
        "Y3", "F", ("3F-1", "3F-2", "3F-3"), ("3.1", "3.2", "3.3"),
        "Year 3: unit and non-unit fractions",
        (
            ("Unit fractions of a whole", "A unit fraction is one of several equal parts: "
             "{1/5}."),
            ("Non-unit fractions", "{3/5} is three one-fifths."),
            ("Fractions on a number line", "Fractions are numbers with a position on a "
             "number line between 0 and 1."),
            ("Comparing unit fractions", "The more equal parts the whole is divided into, the "
             "smaller each part: {1/8} < {1/4}."),
            ("Counting in fractions", "We can count in tenths: {1/10}, {2/10}, {3/10}..."),
        ),
        ("unit fraction", "non-unit fraction", "numerator", "denominator", "equal parts",
         "whole"),
        ("fraction strips", "bar model", "number line", "paper folding", "fraction wall"),
        ("Thinking a bigger denominator means a bigger fraction, so {1/8} > {1/4}",
         "Counting parts that are not equal",
         "Placing {1/3} at 3 on a number line"),
        ("The whole is divided into __ equal parts. Each part is one-__.",
         "The greater the denominator, the smaller the unit fraction."),
        ("Would you rather have {1/3} or {1/5} of a pizza?", "Where does {3/4} go on a number "
         "line from 0 to 1?"),
        "Unit and non-unit fractions, the part-whole relationship and fractions as numbers.",
        ("2024/25",),
    ),
    Spec(
        "Y3", "F", ("3F-4",), ("3.4",),
        "Year 3: adding and subtracting fractions within one whole",
        (
            ("Adding fractions with the same denominator", "{1/5} + {2/5} = {3/5}: we add "
             "fifths, like adding 1 apple and 2 apples."),
            ("Subtracting fractions within one whole", "{5/7} - {2/7} = {3/7}."),
            ("Partitioning the whole into fractions", "One whole can be split into {3/4} and "
             "{1/4}."),
            ("Fraction word problems", "A bar model shows the whole and the parts."),
        ),
        ("numerator", "denominator", "whole", "add", "subtract", "equal parts"),
        ("bar model", "fraction strips", "number line", "part-whole model"),
        ("Adding the denominators: {1/5} + {2/5} = {3/10}",
         "Forgetting that {4/4} is one whole"),
        ("__ fifths plus __ fifths is __ fifths.", "One whole is made of __ and __."),
        ("Why is {1/5} + {2/5} not {3/10}?", "Find all the ways to make one whole with "
         "quarters."),
        "Adding and subtracting fractions with the same denominator within one whole.",
    ),
    Spec(
        "Y3", "G", ("3G-1",), (),
        "Year 3: right angles and lines",
        (
            ("Angles as a turn", "An angle is a measure of turn."),
            ("Recognising right angles", "A right angle is a quarter turn."),
            ("Acute and obtuse angles", "Acute angles are smaller than a right angle; obtuse "
             "angles are larger."),
            ("Horizontal, vertical, parallel and perpendicular lines", "Perpendicular lines "
             "meet at a right angle."),
        ),
        ("angle", "right angle", "acute", "obtuse", "turn", "parallel", "perpendicular"),
        ("right-angle checker", "geostrips", "clock faces", "geoboards"),
        ("Thinking longer arms make a bigger angle",
         "Only recognising a right angle in the standard orientation"),
        ("An angle smaller than a right angle is __.", "These lines are __ because..."),
        ("Can a triangle have two right angles?", "Find right angles in the classroom."),
        "Geometry: angles as turn, right angles, and types of lines.",
    ),
    Spec(
        "Y3", "measurement", (), (),
        "Year 3: measuring perimeter",
        (
            ("What is perimeter?", "Perimeter is the distance around the edge of a 2-D shape."),
            ("Perimeter of rectangles", "Opposite sides of a rectangle are equal."),
            ("Perimeter on a squared grid", "Count the edges of the squares, not the squares."),
            ("Perimeter problems", "Missing side lengths can be found from the perimeter."),
        ),
        ("perimeter", "length", "side", "centimetre", "rectangle", "distance"),
        ("squared paper", "geoboards", "string", "rulers", "bar model"),
        ("Counting the squares inside the shape instead of the edges",
         "Confusing perimeter with area",
         "Missing out sides that are not labelled"),
        ("The perimeter is the total length of all the sides.", "Opposite sides are equal, so "
         "__."),
        ("Can two different rectangles have the same perimeter?", "Draw a shape with a "
         "perimeter of 12 cm."),
        "Perimeter of 2-D shapes, measured and calculated.",
    ),
    Spec(
        "Y3", "measurement", (), (),
        "Year 3: telling the time to the minute",
        (
            ("Telling the time to the minute on an analogue clock", "Count in fives then ones "
             "to read the minutes."),
            ("Roman numerals on clocks", "Some clock faces use Roman numerals I to XII."),
            ("The 24-hour clock", "After midday the hours carry on: 2 pm is 14:00."),
            ("Comparing durations", "We find how long events last and compare them."),
        ),
        ("minutes", "seconds", "analogue", "digital", "am", "pm", "Roman numerals"),
        ("clock faces", "geared clocks", "timelines", "stopwatches"),
        ("Reading the hour hand as pointing to the next hour before it gets there",
         "Writing 14:00 as 4 pm"),
        ("The time is __ minutes past __.", "__ pm is __ in 24-hour time."),
        ("Which clock is wrong and why?", "How long is it from 10:45 to 11:20?"),
        "Time to the minute on analogue and digital clocks, with Roman numerals.",
    ),
    # ---- Year 4 -------------------------------------------------------------------------
    Spec(
        "Y4", "MD", ("4NF-1", "4MD-1"), ("2.8",),
        "Year 4: the 3, 6, 9 and 7 times tables",
        (
            ("The 3 times table", "Multiples of 3 can be built from groups of three."),
            ("The 6 times table is double the 3 times table", "6 x 7 is double 3 x 7."),
            ("The 9 times table", "9 x __ is 10 x __ subtract one group."),
            ("The 7 times table", "7 x __ is 5 x __ plus 2 x __."),
            ("Multiplying by 0 and 1", "Any number multiplied by 1 is itself; by 0 is 0."),
        ),
        ("times table", "multiple", "product", "factor", "double", "multiply"),
        ("arrays", "counters", "number line", "bar model", "multiplication square"),
        ("Thinking 9 x 6 = 56 by confusing patterns",
         "Not seeing 6 x 4 as double 3 x 4",
         "Thinking multiplying by 0 leaves the number unchanged"),
        ("If I know 3 x __ = __, then 6 x __ is double, __.", "__ is a multiple of __ because..."),
        ("Which facts in the 9 times table can you find from the 10 times table?",
         "Is 42 in the 6 and the 7 times tables?"),
        "Times tables 3, 6 and 9 and their relationships (segment 2.8), then 7 and the "
        "multiplication tables check.",
        ("2025/26",),
    ),
    Spec(
        "Y4", "MD", ("4MD-2", "4MD-3"), ("2.13", "2.14"),
        "Year 4: short multiplication and division",
        (
            ("Multiplying a 2-digit number by a 1-digit number", "Partition, multiply each "
             "part, then add: 23 x 4 = 80 + 12."),
            ("Short division", "Divide each place value part, exchanging when needed."),
            ("Division with remainders", "A remainder is what is left when a number cannot "
             "be divided into equal groups exactly."),
            ("Scaling problems", "Four times as tall means multiply by 4."),
        ),
        ("multiply", "divide", "division", "remainder", "short division", "scaling", "dividend",
         "divisor", "quotient"),
        ("place value counters", "arrays", "bar model", "area model"),
        ("Having a remainder larger than the divisor",
         "Forgetting to add the exchanged tens in short multiplication"),
        ("__ divided by __ is __ remainder __.", "__ is __ times as long as __."),
        ("Can a remainder ever be bigger than the divisor?", "Make up a scaling story for "
         "3 x 12."),
        "Short multiplication and short division, with remainders and scaling.",
    ),
    Spec(
        "Y4", "F", ("4F-1", "4F-2"), ("3.5", "3.7"),
        "Year 4: equivalent fractions and mixed numbers",
        (
            ("Equivalent fractions on a fraction wall", "{1/2} = {2/4} = {4/8}: the same length "
             "on the fraction wall."),
            ("Improper fractions and mixed numbers", "{7/4} is 1 whole and {3/4}."),
            ("Counting in fractions beyond one whole", "Counting in quarters past 1 gives mixed "
             "numbers."),
            ("Adding fractions with the same denominator beyond one", "{3/5} + {4/5} = {7/5} "
             "= 1 {2/5}."),
        ),
        ("equivalent", "improper fraction", "mixed number", "numerator", "denominator",
         "whole"),
        ("fraction wall", "number line", "bar model", "fraction strips", "Cuisenaire rods"),
        ("Thinking {2/4} is bigger than {1/2} because the numbers are bigger",
         "Adding the numerators and the denominators",
         "Writing 1 {3/4} as {13/4}"),
        ("{1/2} is equivalent to __/__ because...", "There are __ quarters in one whole."),
        ("Which fractions on the wall are equal to {1/2}?", "How many ways can you write "
         "{3/2}?"),
        "Equivalence, improper fractions and mixed numbers on the fraction wall and number "
        "line.",
        ("2023/24", "2025/26"),
    ),
    Spec(
        "Y4", "F", ("4F-3",), ("3.10",),
        "Year 4: tenths and hundredths",
        (
            ("Tenths as fractions and decimals", "{1/10} = 0.1: one tenth of a whole."),
            ("Tenths on a number line", "0.1, 0.2, 0.3... count in tenths to one."),
            ("Hundredths", "One hundredth is one tenth divided by 10: 0.01."),
            ("Dividing by 10 and 100", "Dividing by 10 moves each digit one place to the "
             "right."),
        ),
        ("tenth", "hundredth", "decimal point", "decimal", "place value", "divide"),
        ("hundred square", "Dienes", "place value chart", "number line", "bead string"),
        ("Thinking 0.10 is bigger than 0.9 because 10 is bigger than 9",
         "Moving the decimal point instead of the digits"),
        ("__ tenths is equal to 0.__.", "When I divide by 10, each digit moves __ place to the "
         "right."),
        ("Is 0.5 the same as {5/10}? Show me.", "Which is greater, 0.3 or 0.27?"),
        "Tenths and hundredths as fractions and decimals; dividing by 10 and 100.",
    ),
    Spec(
        "Y4", "measurement", (), (),
        "Year 4: area by counting squares",
        (
            ("Area by counting squares", "Area is the space inside a 2-D shape, measured in "
             "squares."),
            ("Comparing area", "Two shapes can look different and have the same area."),
            ("Area of rectilinear shapes by counting", "Rectilinear shapes have straight "
             "sides meeting at right angles; count the squares inside."),
            ("Area and perimeter: what is the difference?", "Perimeter goes around; area "
             "covers the inside."),
        ),
        ("area", "square centimetre", "rectilinear", "perimeter", "covers"),
        ("squared paper", "square tiles", "geoboards", "pentominoes"),
        ("Confusing area and perimeter",
         "Counting half squares as whole squares"),
        ("The area is __ squares.", "The shapes have the same area but different perimeters."),
        ("Can shapes with the same area have different perimeters?", "Make a rectilinear shape "
         "with an area of 8 squares."),
        "Area as counting squares, including rectilinear shapes.",
    ),
    Spec(
        "Y4", "G", ("4G-1", "4G-2", "4G-3"), (),
        "Year 4: properties of triangles and quadrilaterals",
        (
            ("Comparing and ordering angles", "Angles are compared by the amount of turn."),
            ("Types of triangles", "Triangles are named by their sides and angles."),
            ("Quadrilaterals", "A square is a special rectangle; a rhombus has four equal "
             "sides."),
            ("Lines of symmetry", "A line of symmetry splits a shape into two mirror halves."),
            ("Coordinates in the first quadrant", "(3, 2) means 3 along and 2 up."),
        ),
        ("acute", "obtuse", "isosceles", "equilateral", "quadrilateral", "symmetry",
         "polygon"),
        ("geostrips", "mirrors", "shape sorting diagrams", "Carroll diagrams"),
        ("Thinking a square is not a rectangle",
         "Thinking a rotated square is a different shape",
         "Reading coordinates up then along"),
        ("A __ is a polygon with __ sides.", "This is a line of symmetry because..."),
        ("Is a square a rhombus?", "Sort these quadrilaterals in a Venn diagram."),
        "Geometry: comparing angles, classifying triangles and quadrilaterals, symmetry.",
    ),
    Spec(
        "Y4", "NPV", ("4NPV-1", "4NPV-2", "4NPV-3"), ("1.20",),
        "Year 4: four-digit numbers and rounding",
        (
            ("Thousands", "10 hundreds make 1 thousand."),
            ("Partitioning four-digit numbers", "3,456 = 3,000 + 400 + 50 + 6."),
            ("Rounding to the nearest 10, 100 and 1,000", "Find the two multiples either side "
             "and see which is nearer."),
            ("Negative numbers", "Numbers continue below zero on a number line."),
        ),
        ("thousands", "partition", "round", "nearest", "negative", "place value"),
        ("place value counters", "number line", "Dienes", "thermometers"),
        ("Rounding 3,450 to the nearest 1,000 as 4,000 by rounding twice",
         "Thinking -5 is greater than -2"),
        ("__ rounded to the nearest __ is __.", "__ is __ less than zero."),
        ("Which numbers round to 500 to the nearest 100?", "Order -3, 2, -7, 0."),
        "Place value to 10,000, rounding and negative numbers.",
    ),
    Spec(
        "Y4", "statistics", (), (),
        "Year 4: bar charts and time graphs",
        (
            ("Interpreting bar charts", "The scale tells us what each interval is worth."),
            ("Time graphs", "A time graph shows how something changes over time."),
            ("Comparison and sum problems", "We can compare bars to find how many more."),
        ),
        ("bar chart", "scale", "axis", "data", "time graph", "interval"),
        ("bar charts", "line graphs", "tables", "squared paper"),
        ("Reading bars between scale marks as the nearest mark",
         "Assuming every scale goes up in ones"),
        ("The scale goes up in __.", "__ more __ than __."),
        ("Why choose a bar chart here?", "What is the total of all the bars?"),
        "Statistics: discrete and continuous data in bar charts and time graphs.",
    ),
    # ---- Year 5 -------------------------------------------------------------------------
    Spec(
        "Y5", "F", ("5F-1",), ("3.6",),
        "Year 5: fractions of amounts",
        (
            ("Non-unit fractions of amounts", "To find {3/4} of 20, find {1/4} then multiply "
             "by 3."),
            ("Finding the whole from a part", "If {2/5} of a number is 12, {1/5} is 6 and the "
             "whole is 30."),
            ("{3/4} of a quantity", "{3/4} of 48 is 36."),
            ("Multiplying a fraction by a whole number", "3 x {2/7} = {6/7}."),
        ),
        ("fraction", "numerator", "denominator", "whole", "unit fraction", "multiply"),
        ("bar model", "counters", "number line", "fraction strips"),
        ("Dividing by the numerator instead of the denominator",
         "Multiplying both numerator and denominator by the whole number"),
        ("To find {3/4} of __, I divide by __ and multiply by __.",
         "If {1/5} is __, the whole is __."),
        ("Which is more: {3/4} of 20 or {2/3} of 21?", "Draw a bar model for {2/5} of 35."),
        "Fractions of amounts with the bar model (5F-1), then multiplying fractions by whole "
        "numbers.",
        ("2026/27",),
    ),
    Spec(
        "Y5", "F", ("5F-3",), ("3.10",),
        "Year 5: decimals and percentages",
        (
            ("Percentages as parts per hundred", "Per cent means out of 100: 37% is {37/100}."),
            ("Decimal equivalents of {1/2}, {1/4}, {1/5} and {1/10}", "{1/4} = 0.25 = 25%."),
            ("Fractions, decimals and percentages", "One amount can be written three ways."),
            ("Ordering decimals", "Compare the tenths first, then the hundredths."),
        ),
        ("percent", "percentage", "decimal", "tenths", "hundredths", "equivalent"),
        ("hundred square", "bead string", "number line", "place value chart", "bar model"),
        ("Thinking 0.5 is less than 0.25 because 25 is bigger than 5",
         "Writing 5% as 0.5"),
        ("__ out of 100 is __ per cent.", "{1/4} is equal to __ and to __%."),
        ("Which is greater: 0.7, 65% or {3/5}?", "Shade 40% of a hundred square."),
        "Linking fractions, decimals and percentages (5F-3).",
    ),
    Spec(
        "Y5", "G", ("5G-1", "5G-2"), (),
        "Year 5: measuring and drawing angles",
        (
            ("Measuring angles with a protractor", "Line up the base line and read from the "
             "scale that starts at 0."),
            ("Angles on a straight line", "Angles on a straight line add up to 180 degrees."),
            ("Angles around a point", "Angles around a point add up to 360 degrees."),
            ("Regular and irregular polygons", "A regular polygon has equal sides and equal "
             "angles."),
        ),
        ("degrees", "protractor", "acute", "obtuse", "reflex", "polygon", "regular"),
        ("protractors", "angle measurers", "geostrips", "circle of paper"),
        ("Reading the wrong scale on the protractor (reading 130 for 50)",
         "Thinking a polygon is only regular if it is a square"),
        ("Angles on a straight line add up to __ degrees.", "The missing angle is __ because..."),
        ("Is every polygon with equal sides regular?", "Estimate then measure."),
        "Angles: measuring with a protractor, angles on a line and around a point, regular "
        "polygons.",
    ),
    Spec(
        "Y5", "measurement", (), (),
        "Year 5: perimeter and area of rectilinear shapes",
        (
            ("Perimeter of rectilinear shapes", "Find missing side lengths, then add all the "
             "sides."),
            ("Area of rectilinear shapes", "Split the shape into rectangles and add their "
             "areas."),
            ("Area of rectangles by multiplying", "Area of a rectangle = length x width."),
            ("Estimating area", "Count whole and half squares to estimate irregular areas."),
        ),
        ("area", "perimeter", "rectilinear", "square centimetres", "length", "width"),
        ("squared paper", "geoboards", "bar model for side lengths", "area model"),
        ("Confusing area and perimeter",
         "Adding only the labelled sides of a rectilinear shape",
         "Double counting a rectangle when splitting a rectilinear shape"),
        ("The area of the rectangle is __ x __ = __ square centimetres.", "The missing length "
         "is __ because..."),
        ("Can you split this rectilinear shape in two different ways?", "Which has the larger "
         "area?"),
        "Perimeter and area of rectilinear shapes, including compound shapes.",
        ("2025/26",),
    ),
    Spec(
        "Y5", "MD", ("5MD-1", "5MD-2"), ("2.16",),
        "Year 5: multiples, factors and primes",
        (
            ("Factors and factor pairs", "Factors come in pairs that multiply to the number."),
            ("Common multiples", "A common multiple is in both times tables."),
            ("Prime numbers", "A prime number has exactly two factors."),
            ("Square and cube numbers", "A square number is a number multiplied by itself."),
        ),
        ("factor", "multiple", "prime", "composite", "square number", "cube number"),
        ("arrays", "Venn diagrams", "hundred square", "multilink cubes"),
        ("Thinking 1 is a prime number",
         "Confusing factors and multiples",
         "Thinking all odd numbers are prime"),
        ("__ is a factor of __ because __ x __ = __.", "A prime number has exactly two "
         "factors."),
        ("Is 51 prime?", "Find a number with exactly three factors."),
        "Multiples, factors, primes, square and cube numbers, using arrays.",
    ),
    Spec(
        "Y5", "statistics", (), (),
        "Year 5: line graphs and tables",
        (
            ("Reading line graphs", "Each point shows a value at a time; the line shows the "
             "change."),
            ("Reading timetables", "We read across for times and down for stops."),
            ("Two-way tables", "A two-way table shows two sets of information."),
        ),
        ("line graph", "timetable", "table", "axis", "interval", "data"),
        ("line graphs", "bus timetables", "two-way tables"),
        ("Reading the time between scale marks incorrectly",
         "Joining points on a graph of discrete data"),
        ("At __ the value was __.", "The bus leaving at __ arrives at __."),
        ("When did the temperature rise fastest?", "Which bus should Aisha catch?"),
        "Statistics: line graphs, tables and timetables.",
    ),
    # ---- Year 6 -------------------------------------------------------------------------
    Spec(
        "Y6", "F", ("6F-1", "6F-2", "6F-3"), ("3.9", "3.10"),
        "Year 6: fractions, decimals and percentages",
        (
            ("Simplifying fractions using common factors", "Divide the numerator and the "
             "denominator by a common factor: {6/8} = {3/4}."),
            ("Comparing and ordering fractions", "Find a common denominator or compare with "
             "{1/2}."),
            ("Fractions to decimals", "{3/8} = 3 ÷ 8 = 0.375."),
            ("Percentages of amounts", "To find 15%, find 10% and 5% and add."),
            ("Dividing fractions by a whole number", "{1/3} ÷ 2 = {1/6}."),
        ),
        ("simplify", "common factor", "common denominator", "equivalent", "percentage",
         "decimal"),
        ("fraction wall", "bar model", "number line", "double number line"),
        ("Simplifying by subtracting the same number from numerator and denominator",
         "Thinking {5/8} < {3/4} is false because 5 > 3"),
        ("I divide the numerator and the denominator by __.", "__% of __ is __."),
        ("Is {4/6} in its simplest form?", "Which is larger, 0.6 or {5/8}?"),
        "Fractions, decimals and percentages in Year 6 (6F-1 to 6F-3).",
    ),
    Spec(
        "Y6", "G", ("6G-1",), (),
        "Year 6: angles in polygons",
        (
            ("Angles in a triangle", "The angles in a triangle add up to 180 degrees."),
            ("Angles in quadrilaterals", "The angles in any quadrilateral add up to 360 "
             "degrees."),
            ("Interior angles of polygons", "Splitting a polygon into triangles from one vertex "
             "gives the sum of its interior angles."),
            ("Vertically opposite angles", "Vertically opposite angles are equal."),
        ),
        ("interior angle", "polygon", "vertex", "degrees", "triangle", "quadrilateral"),
        ("protractors", "paper triangles torn and rearranged", "geostrips", "polygon cut-outs"),
        ("Thinking bigger triangles have a bigger angle sum",
         "Splitting a polygon into triangles that overlap and double counting"),
        ("The angles in a __ add up to __ degrees.", "A polygon with __ sides can be split "
         "into __ triangles."),
        ("What is the sum of the interior angles of a hexagon?", "Can a triangle have two "
         "obtuse angles?"),
        "Angles in triangles, quadrilaterals and other polygons; vertically opposite angles.",
        ("2024/25",),
    ),
    Spec(
        "Y6", "AS/MD", ("6AS/MD-1", "6AS/MD-2", "6AS/MD-4"), ("2.22",),
        "Year 6: long division and the order of operations",
        (
            ("Long division", "Long division records each step: divide, multiply, subtract, "
             "bring down."),
            ("Order of operations", "Multiplication and division are done before addition and "
             "subtraction unless there are brackets."),
            ("Mental calculation strategies", "Choose the most efficient strategy for each "
             "calculation."),
            ("Common factors and common multiples", "A common factor divides both numbers."),
        ),
        ("long division", "divisor", "dividend", "quotient", "remainder", "brackets",
         "order of operations"),
        ("place value counters", "bar model", "area model"),
        ("Working left to right regardless of the operation",
         "Losing track of the remainder in long division"),
        ("__ divided by __ is __.", "First I __ because..."),
        ("Where would you put brackets to make 3 + 4 x 2 = 14?", "Why does long division work?"),
        "Calculation in Year 6: long division and the order of operations.",
    ),
    Spec(
        "Y6", "measurement", (), (),
        "Year 6: area of triangles and parallelograms, and volume",
        (
            ("Area of a triangle", "A triangle is half of a parallelogram with the same base "
             "and height."),
            ("Area of a parallelogram", "Cut and move a triangle to make a rectangle."),
            ("Volume of cuboids", "Volume = length x width x height, in cubic centimetres."),
            ("Converting units of measure", "1 km = 1,000 m; multiply or divide by 10, 100, "
             "1,000."),
        ),
        ("area", "base", "perpendicular height", "volume", "cubic centimetres", "convert"),
        ("squared paper", "cut-out parallelograms", "multilink cubes", "double number line"),
        ("Using the slant side instead of the perpendicular height",
         "Adding the dimensions instead of multiplying for volume"),
        ("The area of the triangle is half of __ x __.", "The volume is __ cubic centimetres."),
        ("Can two triangles with different shapes have the same area?",
         "How many cuboids have a volume of 24 cm³?"),
        "Area of triangles and parallelograms, volume and converting units.",
    ),
    Spec(
        "Y6", "statistics", (), (),
        "Year 6: pie charts and the mean",
        (
            ("Reading pie charts", "A pie chart shows parts of a whole; the whole is 360 "
             "degrees."),
            ("Drawing pie charts", "Each category gets a fraction of 360 degrees."),
            ("The mean as an average", "The mean shares the total equally between the items."),
        ),
        ("pie chart", "sector", "mean", "average", "total", "degrees"),
        ("pie charts", "protractors", "cubes to level out for the mean"),
        ("Comparing sectors of two pie charts with different totals",
         "Finding the mean by dividing by the largest value"),
        ("The mean is the total divided by __.", "This sector shows __ of the whole."),
        ("Can the mean be a number that is not in the data?", "Which pie chart shows more "
         "children?"),
        "Statistics: pie charts and the mean.",
    ),
    Spec(
        "Y6", "ratio", (), (),
        "Year 6: ratio and scale factors",
        (
            ("Using ratio language", "For every 2 red beads there are 3 blue beads."),
            ("Ratio and fractions", "In a ratio of 2 : 3 the red beads are {2/5} of the "
             "whole."),
            ("Scale factors", "A scale factor of 3 makes every length 3 times longer."),
            ("Recipes and scaling", "Double the recipe by doubling every amount."),
        ),
        ("ratio", "for every", "scale factor", "proportion", "enlarge"),
        ("bead strings", "bar model", "ratio tables", "double number line"),
        ("Writing a ratio of 2 : 3 as the fraction {2/3}",
         "Adding instead of multiplying when scaling"),
        ("For every __, there are __.", "The scale factor is __ because..."),
        ("Is 2 : 3 the same as 3 : 2?", "Scale the recipe for 9 people."),
        "Ratio and proportion: ratio language, scale factors and recipes.",
    ),
)
